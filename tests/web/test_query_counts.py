"""Staff pages listing councils and forums cost the same queries however many there are (no N+1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from tests.factories import make_council, make_forum, make_user

from civicforum.core.models import Role
from civicforum.core.roles import grant_role
from civicforum.processes import services


def queries(client: Any, user: Any, url: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_councils_a_user_may_open_forums_in_cost_the_same_queries_however_many(client: Any) -> None:
    """The dashboard and the new forum page ask once which councils the user may open a forum in, not
    once per council on the site."""
    urls = (reverse("processes:dashboard"), reverse("processes:forum_create"))
    officer = make_user()
    grant_role(officer, make_forum(make_council()), Role.OFFICER)
    before = [queries(client, officer, url) for url in urls]
    for _ in range(8):
        make_council()  # councils where the officer may not open a forum
        grant_role(officer, make_forum(make_council()), Role.OFFICER)
    assert [queries(client, officer, url) for url in urls] == before
    assert services.councils_for_new_forum(officer).count() == 9


@pytest.mark.django_db
def test_the_accessibility_statement_costs_the_same_queries_however_many_forums_it_lists(client: Any) -> None:
    """It names each current forum's phone number: looked up once per forum, a council running many forums
    made the public page slower with each one."""
    from civicforum.recruitment.models import RecruitmentSettings

    def statement() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("accessibility"))
        assert page.status_code == 200
        return len(captured), page.content.decode()

    RecruitmentSettings.objects.create(forum=make_forum(title="Forum 0"), phone="01632 960 000")
    before, _ = statement()
    for n in range(1, 8):
        RecruitmentSettings.objects.create(forum=make_forum(title=f"Forum {n}"), phone=f"01632 960 00{n}")
    make_forum(title="Forum without a number")
    after, page = statement()
    assert after == before
    assert all(f"about Forum {n} (" in page and f"call 01632 960 00{n}" in page for n in range(8))
    assert "given no phone number" not in page  # shown to staff only
