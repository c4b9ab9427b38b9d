"""Plain factory functions for tests: ``from tests.factories import make_forum, make_user``."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model

from civicforum.core.models import Role
from civicforum.core.roles import COUNCIL_ADMIN, grant_role, make_council_admin
from civicforum.processes.models import Council, Forum, Stage, StageKind

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


def make_council(name: str | None = None, **extra: Any) -> Council:
    n = next(_counter)
    name = name or f"Testshire District Council {n}"
    return Council.objects.create(name=name, slug=extra.pop("slug", f"testshire-{n}"), **extra)


def make_forum(council: Council | None = None, stages: list[str] | None = None, **extra: Any) -> Forum:
    """A published, running forum with every stage, in recruitment, unless told otherwise."""
    n = next(_counter)
    fields: dict[str, Any] = {
        "slug": f"forum-{n}",
        "title": f"Test forum {n}",
        "question": "How should we spend the parks budget?",
        "area": "Testshire",
        "starts_on": date.today() - timedelta(days=30),
        "ends_on": date.today() + timedelta(days=300),
        "panel_size": 40,
        "current_stage": StageKind.RECRUITMENT,
        **extra,
    }
    forum = Forum.objects.create(council=council or make_council(), **fields)
    kinds = stages if stages is not None else [kind.value for kind in StageKind]
    Stage.objects.bulk_create([Stage(forum=forum, kind=kind) for kind in kinds])
    return forum


def make_user(username: str | None = None, password: str = PASSWORD, **extra: Any) -> Any:
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(username=username, password=password, **extra)


def make_user_with_role(role: str, forum: Forum) -> Any:
    """A user holding ``role`` (a ``Role`` value, ``COUNCIL_ADMIN`` or ``"superuser"``) on ``forum``."""
    if role == "superuser":
        return get_user_model().objects.create_superuser(
            username=f"super{next(_counter)}", password=PASSWORD, email="super@example.org"
        )
    user = make_user()
    if role == COUNCIL_ADMIN:
        make_council_admin(user, forum.council)
    elif role in Role.values:
        grant_role(user, forum, role)
    return user


def sign_in_browser(page: Any, base: str, user: Any) -> None:
    """Sign ``user`` in through the sign-in page of the server at ``base``, in a Playwright page, and wait
    for the page it leads to (by its address: on a narrow screen the header's Sign out is in a menu)."""
    import re

    from playwright.sync_api import expect

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))
