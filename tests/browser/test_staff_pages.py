"""The officer's pages pass axe-core too: staff are users with access needs as well."""

from __future__ import annotations

from typing import Any

from tests.factories import PASSWORD, make_forum, make_user_with_role

from civicforum.core.models import Role

STAFF_PATHS = [
    "/staff/forums/{slug}/",
    "/staff/forums/{slug}/edit/",
    "/staff/forums/{slug}/people/",
    "/staff/forums/{slug}/stages/selection/",
]


def test_staff_pages_are_accessible(page: Any, live_server: Any, axe_check: Any) -> None:
    forum = make_forum(title="Parks forum")
    officer = make_user_with_role(Role.OFFICER, forum)
    make_user_with_role(Role.FACILITATOR, forum)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in STAFF_PATHS:
        page.goto(live_server.url + path.format(slug=forum.slug))
        assert page.locator("main h1").count() == 1
        axe_check(page)
    page.get_by_role("button", name="Save stage").click()
    page.goto(live_server.url + f"/staff/forums/{forum.slug}/people/")
    page.get_by_role("button", name="Give role").click()
    assert "Enter a username or email address" in page.locator(".govuk-error-summary").inner_text()
    axe_check(page)
    page.get_by_role("link", name="Remove").first.click()  # the facilitator's role
    assert page.locator("main h1").inner_text().startswith("Are you sure you want to remove")
    axe_check(page)
    page.get_by_role("button", name="Remove role").click()
    assert "Role removed" in page.locator("main").inner_text()
