"""An officer signs in, creates a forum (fixing a bad date on the way) and sees it on the public site."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.factories import PASSWORD, make_forum, make_user_with_role

from civicforum.core.models import Role

NEXT_YEAR = str(date.today().year + 1)  # dates already past would ask to confirm the forum has run


def fill_date(page: Any, field: str, day: str, month: str, year: str) -> None:
    page.fill(f"#id_{field}_0", day)
    page.fill(f"#id_{field}_1", month)
    page.fill(f"#id_{field}_2", year)


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_officer_creates_a_forum(request: Any, live_server: Any, axe_check: Any, javascript: bool) -> None:
    page = request.getfixturevalue("page" if javascript else "page_without_js")
    forum = make_forum(title="Parks forum")
    officer = make_user_with_role(Role.OFFICER, forum)

    page.goto(live_server.url + "/staff/")
    assert "/accounts/login/" in page.url
    assert page.locator("body.js-enabled").count() == (1 if javascript else 0)
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("h1").inner_text() == "Staff area"
    if javascript:
        axe_check(page)

    page.get_by_role("button", name="Create a forum").click()
    page.fill("#id_title", "Libraries forum")
    page.fill("#id_question", "What should our libraries be for?")
    page.fill("#id_area", "Northam")
    fill_date(page, "starts_on", "1", "3", NEXT_YEAR)
    fill_date(page, "ends_on", "31", "2", NEXT_YEAR)
    page.fill("#id_panel_size", "40")
    page.get_by_role("radio", name="Design").check()
    page.get_by_role("button", name="Create forum").click()

    summary = page.locator(".govuk-error-summary")
    assert "End date must be a real date" in summary.inner_text()
    expect(page).to_have_title(re.compile("^" + re.escape("Error: ")))
    if javascript:
        axe_check(page)
    summary.get_by_role("link", name="End date must be a real date").click()
    fill_date(page, "ends_on", "30", "9", NEXT_YEAR)
    page.get_by_role("button", name="Create forum").click()

    success = page.locator(".govuk-notification-banner--success")
    assert "Forum ‘Libraries forum’ created" in success.inner_text()
    assert page.locator("h1").inner_text() == "Libraries forum"  # its officer now, not 'no permission'
    if javascript:
        axe_check(page)
    # A new forum starts hidden from the public; its officer shows it when it is ready.
    page.get_by_role("link", name="Show it on the public website").click()
    page.get_by_label("Show this forum on the public website").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("This forum is not shown on the public website")).to_have_count(0)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Libraries forum").click()
    assert page.locator("h1").inner_text() == "Libraries forum"
    assert "What should our libraries be for?" in page.locator("main").inner_text()
