"""End to end in Chromium: a resident registers with their letter's code (axe on every public step),
then the officer runs the selection and publishes the record."""

from __future__ import annotations

from typing import Any

import pytest
from tests.factories import PASSWORD

from civicforum.recruitment.models import Invitation, Respondent
from civicforum.recruitment.services import civic_lottery, quotas

pytestmark = pytest.mark.browser


def test_resident_registers_and_officer_selects(
    page: Any, live_server: Any, axe_check: Any, pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    invitation = Invitation.objects.filter(lottery__forum=forum, respondents__isnull=True).first()
    code = civic_lottery.issue_code(invitation)

    page.goto(f"{live_server.url}/forums/{forum.slug}/register/")
    axe_check(page)
    page.get_by_role("button", name="Start now").click()
    steps = [
        lambda: page.fill("#id_code", code.lower()),
        lambda: page.get_by_label("Yes").check(),
        lambda: page.get_by_label("Yes").check(),
        lambda: page.fill("#id_full_name", "Grace Hopper"),
        lambda: page.fill("#id_email", "grace@example.org"),
        lambda: page.get_by_label("Woman").check(),
        lambda: page.get_by_label("45 to 64").check(),
        lambda: page.get_by_label("White").check(),
        lambda: page.get_by_label("No", exact=True).check(),
        lambda: page.get_by_label("Saturday 6 March 2027").check(),
        lambda: page.fill("#id_access_needs", "Hearing loop"),
        lambda: page.get_by_label("I agree").check(),
    ]
    for answer in steps:
        assert page.locator("main h1, main legend h1, main label h1").count() >= 1
        axe_check(page)
        answer()
        page.get_by_role("button", name="Continue").click()
    assert "Check your answers" in page.content()
    axe_check(page)
    page.get_by_role("button", name="Register").click()
    assert "Registration complete" in page.content()
    axe_check(page)
    assert Respondent.objects.filter(forum=forum).count() == len(pool) + 1

    quotas.propose_quotas(forum, officer, slack=2)
    page.goto(f"{live_server.url}/accounts/login/?next=/staff/forums/{forum.slug}/recruitment/selection/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Start").click()
    page.wait_for_selector("text=Publish the selection record", timeout=60_000)
    page.get_by_role("button", name="Publish the selection record").click()
    page.goto(f"{live_server.url}/forums/{forum.slug}/selection-record/")
    assert "How the panel was selected" in page.content()
    axe_check(page)
