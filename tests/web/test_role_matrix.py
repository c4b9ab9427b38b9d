"""Walk every named URL as every role and check the answer: 200, 302 to sign-in, or 403."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tests.factories import make_forum, make_user, make_user_with_role
from tests.web import role_matrix
from tests.web.role_matrix import LOGIN, ROLES

SKIPPED_NAMESPACES = {"admin"}  # Django's own admin has its own tests


def _named_urls(resolver: URLResolver, namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.extend(_named_urls(entry, inner))
        elif entry.name:
            found.append((f"{namespace}{entry.name}", entry))
    return found


def _matrix_modules() -> list[Any]:
    """This directory's table plus any ``tests/<app>/role_matrix.py`` other apps provide."""
    modules = [role_matrix]
    for path in sorted(Path(__file__).resolve().parents[1].glob("*/role_matrix.py")):
        if path.parent.name != "web":
            modules.append(importlib.import_module(f"tests.{path.parent.name}.role_matrix"))
    return modules


def _merged() -> tuple[dict[str, dict[str, object]], list[Any]]:
    expected: dict[str, dict[str, object]] = {}
    kwarg_makers = []
    for module in _matrix_modules():
        expected.update(module.EXPECTED)
        if hasattr(module, "url_kwargs"):
            kwarg_makers.append(module.url_kwargs)
    return expected, kwarg_makers


EXPECTED, KWARG_MAKERS = _merged()


@pytest.fixture
def matrix_forum(db: Any) -> Any:
    return make_forum()


def _urls_to_walk(forum: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, path) for every URL with expectations and parameters; problems for the rest."""
    kwargs: dict[str, object] = {}
    for make_kwargs in KWARG_MAKERS:
        kwargs.update(make_kwargs(forum))
    walk, problems = [], []
    for name, pattern in _named_urls(get_resolver()):
        params = re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
        missing = [param for param in params if param not in kwargs]
        if name not in EXPECTED:
            problems.append(f"{name}: no expected answers (add it to EXPECTED in tests/<app>/role_matrix.py)")
        elif missing:
            problems.append(
                f"{name}: no value for {missing} (add them to url_kwargs in tests/<app>/role_matrix.py)"
            )
        else:
            walk.append((name, reverse(name, kwargs={param: kwargs[param] for param in params})))
    return walk, problems


def test_every_url_has_expectations(matrix_forum: Any) -> None:
    _, problems = _urls_to_walk(matrix_forum)
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
    walk, _ = _urls_to_walk(matrix_forum)
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
