"""Whatever an officer types into the forum form, the answer is a page or a redirect, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.factories import make_forum, make_user_with_role

from civicforum.core.models import Role
from civicforum.processes.models import StageKind

FIELDS = ["title", "question", "area", "summary", "panel_size", "current_stage", "council"]
DATE_PARTS = [f"{name}_{part}" for name in ("starts_on", "ends_on") for part in range(3)]
typed_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
small_numbers = st.integers(-5, 3000).map(str)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.fixed_dictionaries({name: typed_text | small_numbers for name in FIELDS}),
    dates=st.fixed_dictionaries({name: typed_text | small_numbers for name in DATE_PARTS}),
    stages=st.lists(st.sampled_from([kind.value for kind in StageKind] + ["", "bogus"]), max_size=4),
)
def test_forum_form_never_fails_with_a_server_error(
    client: Any, values: dict[str, str], dates: dict[str, str], stages: list[str]
) -> None:
    forum = make_forum()
    client.force_login(make_user_with_role(Role.OFFICER, forum))
    response = client.post(reverse("processes:forum_create"), {**values, **dates, "stages": stages})
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "There is a problem" in response.content.decode()
