"""The officer's pages pass axe-core too: staff are users with access needs as well."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.factories import PASSWORD, make_forum, make_user, make_user_with_role

from civicforum.core import audit
from civicforum.core.models import ForumRole, Role
from civicforum.core.roles import COUNCIL_ADMIN

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


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_evaluator_filters_and_pages_the_audit_log(
    request: Any, live_server: Any, axe_check: Any, javascript: bool
) -> None:
    """The log's filters are a plain GET form: they work without JavaScript and stay on every page."""
    page = request.getfixturevalue("page" if javascript else "page_without_js")
    forum = make_forum(title="Parks forum")
    officer = make_user_with_role(Role.OFFICER, forum)
    for _ in range(60):
        audit.record(officer, "stage.updated", forum=forum)
    audit.record(officer, "forum.created", forum=forum)
    evaluator = make_user_with_role(Role.EVALUATOR, forum)
    page.goto(live_server.url + f"/staff/forums/{forum.slug}/")
    page.fill("#id_username", evaluator.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Parks forum – Staff area – ")))  # not 'Manage'
    if javascript:
        axe_check(page)
    page.get_by_role("link", name="View the full audit log").click()
    expect(page.locator("main h1")).to_have_text("Audit log")
    expect(page.locator("main tbody tr")).to_have_count(50)
    if javascript:
        axe_check(page)

    page.select_option("#id_action", label="Stage dates or description changed")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("main")).to_contain_text("Showing entries 1 to 50 of 60.")
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Audit log (page 2 of 2)")))
    expect(page.locator("main tbody tr")).to_have_count(10)
    assert page.locator("#id_action").input_value() == "stage.updated"
    if javascript:
        axe_check(page)


def test_a_long_email_address_wraps_on_a_phone_when_an_account_is_made_and_its_link_opened(
    page: Any, live_server: Any, axe_check: Any
) -> None:
    """An email address longer than a phone's width, on the 'Account created' page and as the username on
    the link's page, made both pages scroll sideways at 320 px (WCAG 1.4.10)."""
    forum = make_forum(title="Parks forum")
    admin = make_user_with_role(COUNCIL_ADMIN, forum)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + f"/staff/forums/{forum.slug}/people/new/")
    page.get_by_label("First name").fill("Alan")
    page.get_by_label("Last name").fill("Hughes")
    page.get_by_label("Email address").fill(
        "a.very.long.email.address.for.testing@northam-borough-council.example"
    )
    page.get_by_label("Panel member").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("h1")).to_have_text("Account created")
    sideways = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    assert not page.evaluate(sideways)
    link = page.locator("code").inner_text()
    page.context.clear_cookies()  # the person, on their own phone
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Choose a password")
    assert not page.evaluate(sideways)
    axe_check(page)
    page.get_by_label("New password", exact=True).fill("12345678")
    page.get_by_label("Confirm new password").fill("12345678")
    page.get_by_role("button", name="Save password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Password must include letters or symbols")
    assert not page.evaluate(sideways)
    axe_check(page)


def test_removing_the_last_forum_officer_warns_and_asks_for_a_tick(
    page: Any, live_server: Any, axe_check: Any
) -> None:
    forum = make_forum(title="Parks forum")
    make_user_with_role(Role.OFFICER, forum)
    admin = make_user_with_role(COUNCIL_ADMIN, forum)
    page.goto(live_server.url + f"/staff/forums/{forum.slug}/people/")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Remove").click()
    expect(page.locator(".govuk-warning-text")).to_contain_text("nobody will run this forum day to day")
    axe_check(page)
    page.get_by_role("button", name="Remove role").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm that this forum will have no forum")
    axe_check(page)
    page.get_by_label("I understand that this forum will have no forum officer").check()
    page.get_by_role("button", name="Remove role").click()
    expect(page.locator("main")).to_contain_text("Role removed")


# Whether each word of an element's text fits its content box, so the browser need not break inside it.
NO_WORD_BROKEN = """cell => {
    const probe = document.createElement("span");
    probe.style.whiteSpace = "nowrap";
    cell.appendChild(probe);
    const style = getComputedStyle(cell);
    const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const fits = cell.firstChild.textContent.split(/[\\s-]+/).every(word => {
        probe.textContent = word;
        return probe.getBoundingClientRect().width <= room;
    });
    probe.remove();
    return fits;
}"""


def test_the_people_table_fits_a_small_phone(page: Any, live_server: Any, axe_check: Any) -> None:
    """At 320 px the officer's own row said 'You cannot remove your own forum officer role. Ask another
    officer or a council administrator to remove it.' in the table, which then scrolled inside its box
    (WCAG 1.4.10): the row now says so briefly and the page says why below the table."""
    forum = make_forum(title="Parks forum")
    officer = make_user_with_role(Role.OFFICER, forum)
    officer.first_name, officer.last_name = "Olivia", "Okonkwo-Fairweather"
    officer.save()
    newcomer = make_user(username="a.very.long.email.address.for.testing@northam-borough-council.example")
    newcomer.set_unusable_password()  # the row offers a new set-password link too
    newcomer.save()
    ForumRole.objects.create(forum=forum, user=newcomer, role=Role.FACILITATOR)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + f"/staff/forums/{forum.slug}/people/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    table_box = page.get_by_role("region", name="Who has a role on this forum")
    assert not table_box.evaluate("box => box.scrollWidth > box.clientWidth")
    # Names break between words, never inside one ('Okonkwo-Fairweat / her' with three columns).
    assert table_box.locator("td", has_text="Okonkwo-Fairweather").evaluate(NO_WORD_BROKEN)
    expect(table_box).to_contain_text("You cannot remove this role")
    expect(page.locator("main")).to_contain_text(
        "Ask another officer or a council administrator to remove it."
    )
    assert not page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    axe_check(page)


def test_a_forum_with_past_dates_asks_for_a_tick_below_the_dates(
    page: Any, live_server: Any, axe_check: Any
) -> None:
    forum = make_forum(title="Parks forum", starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31))
    officer = make_user_with_role(Role.OFFICER, forum)
    page.goto(live_server.url + f"/staff/forums/{forum.slug}/edit/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.fill("#id_ends_on_0", "30")
    page.get_by_role("button", name="Save changes").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Tick to confirm that the forum has already run, or change the end date")
    axe_check(page)
    summary.get_by_role("link").click()
    expect(
        page.get_by_label("These dates are in the past: I am recording a forum that has already run")
    ).to_be_focused()
    page.get_by_label("These dates are in the past: I am recording a forum that has already run").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Forum details saved")
