"""Walk every named URL as every role and check the answer: 200, 302 to sign-in, or 403."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.urls import reverse
from tests.factories import make_forum, make_user, make_user_with_role
from tests.web.role_matrix import LOGIN, ROLES
from tests.web.url_walk import EXPECTED, urls_to_walk


@pytest.fixture
def matrix_forum(db: Any) -> Any:
    return make_forum()


def test_every_url_has_expectations(matrix_forum: Any) -> None:
    _, problems = urls_to_walk(matrix_forum)
    assert not problems, "the role matrix cannot check these URLs:\n" + "\n".join(problems)


def _user_for(role: str, forum: Any) -> Any:
    if role == "anonymous":
        return None
    if role == "signed_in":
        return make_user()
    return make_user_with_role(role, forum)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client: Any, matrix_forum: Any, role: str) -> None:
    user = _user_for(role, matrix_forum)
    if user is not None:
        client.force_login(user)
    login_path = reverse(settings.LOGIN_URL)
    walk, _ = urls_to_walk(matrix_forum)
    failures = []
    for name, url in walk:
        response = client.get(url)
        got: object = response.status_code
        if response.status_code == 302 and urlparse(response["Location"]).path == login_path:
            got = LOGIN
        if got != EXPECTED[name][role]:
            failures.append(f"{name} {url}: expected {EXPECTED[name][role]}, got {got}")
        elif got == 200 and response["Content-Type"].startswith("text/html"):
            leaked = [marker for marker in ("{#", "{%", "{{") if marker in response.content.decode()]
            if leaked:
                failures.append(f"{name} {url}: template syntax {leaked} shown on the page")
    assert not failures, f"as {role}:\n" + "\n".join(failures)
