"""The resident's public pages in Chromium as someone on a small phone, or at 400% zoom, meets them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.factories import make_forum
from tests.recruitment.conftest import publish_selection

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 640}  # also what a 1280 px wide screen shows at 400% zoom
# The spacing WCAG 1.4.12 says a reader may set without losing content.
TEXT_SPACING = (
    "* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }"
    " p { margin-bottom: 2em !important; }"
)


def page_scrolls_sideways(page: Any) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > document.documentElement.clientWidth")


def test_the_selection_record_reflows_on_a_small_phone(
    page: Any, live_server: Any, axe_check: Any, pool: Any, officer: Any
) -> None:
    forum = pool[0].forum
    publish_selection(forum, officer, seed="8" * 64)  # the longest seed an officer may type
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/forums/{forum.slug}/selection-record/")
    assert not page_scrolls_sideways(page)
    table_box = page.get_by_role("region", name="Who is on the panel")
    table_box.focus()  # keyboard users can scroll the table inside its box
    assert table_box.evaluate("box => box.scrollWidth > box.clientWidth")
    axe_check(page)


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would, and check they can see it."""
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            style = page.evaluate("() => getComputedStyle(document.activeElement)")
            radio_or_box = page.evaluate("() => ['radio', 'checkbox'].includes(document.activeElement.type)")
            assert radio_or_box or style["outlineStyle"] != "none" or style["boxShadow"] != "none"
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def press_enter(page: Any) -> None:
    """Enter on the focused link or button, then wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("browser_page", ["page", "page_without_js"])
def test_a_resident_registers_with_the_keyboard_alone_on_a_small_phone(
    request: Any, browser_page: str, live_server: Any, axe_check: Any, recruiting_forum: Any
) -> None:
    from civicforum.recruitment.models import Invitation, Respondent
    from civicforum.recruitment.services import civic_lottery

    page = request.getfixturevalue(browser_page)
    code = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=recruiting_forum).first())
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/forums/{recruiting_forum.slug}/register/")
    typed = {
        "#id_code": code.lower().replace("-", " "),
        "#id_full_name": "Siân O'Brien-Llŷr",
        "#id_email": "Sian@Example.org ",
        "#id_phone": "+44 (0)7700 900982",
    }
    tab_to(page, "a.govuk-button--start")
    press_enter(page)
    while "/check/" not in page.url:
        assert not page_scrolls_sideways(page), page.url
        if browser_page == "page":  # axe-core runs in the page: it needs JavaScript
            axe_check(page)
        boxes = [selector for selector in typed if page.locator(selector).count()]
        for selector in boxes:
            tab_to(page, selector)
            page.keyboard.type(typed[selector])
        if not boxes:
            tab_to(page, "input[type=radio], input[type=checkbox]")
            page.keyboard.press("Space")
        tab_to(page, "button[type=submit]")
        press_enter(page)
        assert page.locator(".govuk-error-summary").count() == 0, page.locator("main").inner_text()
    assert not page_scrolls_sideways(page)
    if browser_page == "page":
        axe_check(page)
    tab_to(page, "a[href$='/register/name/']")  # Change name
    press_enter(page)
    assert page.input_value("#id_full_name") == "Siân O'Brien-Llŷr"  # the answer is kept
    tab_to(page, "button[type=submit]")
    press_enter(page)
    assert "/check/" in page.url
    tab_to(page, "button[type=submit]")
    press_enter(page)
    assert "Registration complete" in page.locator("main").inner_text()
    assert not page_scrolls_sideways(page)
    if browser_page == "page":
        axe_check(page)
    respondent = Respondent.objects.get(forum=recruiting_forum)
    assert (respondent.full_name, respondent.email) == ("Siân O'Brien-Llŷr", "Sian@Example.org")


def test_every_public_page_reflows_on_a_small_phone_with_wider_text_spacing(
    page: Any, live_server: Any
) -> None:
    from tests.web.url_walk import public_pages

    forum = make_forum(title="Parks forum", summary="Residents decide how to spend the budget.")
    page.set_viewport_size(PHONE)
    sideways = []
    for url in public_pages(forum):
        response = page.goto(live_server.url + url)
        if response.headers.get("content-type", "").startswith("text/html"):
            page.add_style_tag(content=TEXT_SPACING)
            sideways += [url] if page_scrolls_sideways(page) else []
    assert not sideways, f"these pages scroll sideways at 320 px: {sideways}"


def test_someone_who_can_attend_none_of_the_dates_finds_the_way_out_on_a_small_phone(
    page: Any, live_server: Any, axe_check: Any, recruiting_forum: Any
) -> None:
    from civicforum.recruitment.models import Invitation
    from civicforum.recruitment.services import civic_lottery

    code = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=recruiting_forum).first())
    page.set_viewport_size(PHONE)
    register = f"{live_server.url}/forums/{recruiting_forum.slug}/register/"
    page.goto(register + "code/")
    page.fill("#id_code", code)
    page.get_by_role("button", name="Continue").click()
    page.goto(register + "availability/")
    axe_check(page)
    page.get_by_label("I cannot attend any of these dates").check()
    page.get_by_role("button", name="Continue").click()
    assert "Members must attend the sessions" in page.locator("main").inner_text()
    assert not page_scrolls_sideways(page)
    axe_check(page)


def start_registration(page: Any, live_server: Any, forum: Any) -> str:
    """Enter a letter's code; returns the address of the registration's steps."""
    from civicforum.recruitment.models import Invitation, RecruitmentSettings
    from civicforum.recruitment.services import civic_lottery

    RecruitmentSettings.objects.filter(forum=forum).update(
        session_dates="Saturday 6 March 2027\nSaturday 20 March 2027"
    )
    code = civic_lottery.issue_code(Invitation.objects.filter(lottery__forum=forum).first())
    register = f"{live_server.url}/forums/{forum.slug}/register/"
    page.goto(register + "code/")
    page.fill("#id_code", code)
    page.get_by_role("button", name="Continue").click()
    return register


def test_ticking_cannot_attend_unticks_the_dates_and_a_date_unticks_it(
    page: Any, live_server: Any, recruiting_forum: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(start_registration(page, live_server, recruiting_forum) + "availability/")
    first, second = page.get_by_label("Saturday 6 March 2027"), page.get_by_label("Saturday 20 March 2027")
    none = page.get_by_label("I cannot attend any of these dates")
    first.check()
    second.check()
    none.check()
    expect(first).not_to_be_checked()
    expect(second).not_to_be_checked()
    first.check()
    expect(none).not_to_be_checked()


def test_without_javascript_a_date_and_cannot_attend_together_are_refused_at_the_field(
    page_without_js: Any, live_server: Any, recruiting_forum: Any
) -> None:
    page = page_without_js
    page.goto(start_registration(page, live_server, recruiting_forum) + "availability/")
    page.get_by_label("Saturday 20 March 2027").check()
    page.get_by_label("I cannot attend any of these dates").check()
    page.get_by_role("button", name="Continue").click()
    refusal = "Select the sessions you could attend, or ‘I cannot attend any of these dates’, not both"
    expect(page).to_have_title(re.compile("^" + re.escape("Error: ")))
    assert page.locator(".govuk-error-summary").get_by_role("link", name=refusal).get_attribute("href") == (
        "#id_sessions_1"
    )
    assert refusal in page.get_by_role("group", name="Which sessions could you attend?").inner_text()


@pytest.mark.parametrize("browser_page", ["page", "page_without_js"])
def test_a_member_replies_with_the_support_they_need_on_a_small_phone(
    request: Any, browser_page: str, live_server: Any, axe_check: Any, pool: Any, officer: Any
) -> None:
    """The reply page and the officer's support page at 320 px, with and without JavaScript: no sideways
    scrolling, no axe problem before or after an error, and the character count (or its hint) shown."""
    from django.urls import reverse
    from tests.factories import sign_in_browser
    from tests.recruitment.conftest import draw_panel, mark_invited

    from civicforum.recruitment.models import PanelMember, Respondent

    page = request.getfixturevalue(browser_page)
    forum = pool[0].forum
    draw_panel(forum, officer)
    page.set_viewport_size(PHONE)

    def check_page() -> None:
        assert not page_scrolls_sideways(page), page.url
        if browser_page == "page":  # axe-core runs in the page: it needs JavaScript
            axe_check(page)

    page.goto(f"{live_server.url}{reverse('recruitment:panel_reply', args=[forum.slug])}")
    expect(page.locator("main")).to_contain_text("No invitations to join the panel")
    check_page()
    mark_invited(forum)  # members reply to their invitation
    member = PanelMember.objects.filter(forum=forum).select_related("respondent").order_by("id").first()
    page.reload()
    check_page()
    page.get_by_label("Your reference").fill(member.respondent.reference)
    page.get_by_label("The email address or phone number you gave").fill(member.respondent.email)
    page.get_by_label("Yes, I can take part").check()
    support = page.get_by_label("If you can take part, do you need any support?")
    support.fill("x" * 1001)  # pasted too long: kept whole, not cut short without a word
    counted = "You have 1 character too many" if browser_page == "page" else "You can enter up to 1000"
    expect(page.locator(".govuk-character-count")).to_contain_text(counted)
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("must be 1,000 characters or fewer")
    check_page()
    support.fill("Step-free access\nA hearing loop")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Your place is confirmed")
    check_page()
    assert Respondent.objects.get(pk=member.respondent_id).access_needs == "Step-free access\nA hearing loop"

    sign_in_browser(page, live_server.url, officer)
    page.goto(f"{live_server.url}{reverse('recruitment:member_support', args=[forum.slug, member.pk])}")
    check_page()
    expect(page.get_by_label("What support does")).to_have_value("Step-free access\nA hearing loop")
    page.get_by_label("What support does").fill("Large print")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Support needs of")
    check_page()
