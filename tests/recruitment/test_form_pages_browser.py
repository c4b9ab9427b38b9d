"""In Chromium: the officer's quotas table errors, the run page's quota ranges and the page changing a
question's wording, with axe-core."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.factories import sign_in_browser
from tests.recruitment.conftest import add_age_question, draw_panel

from civicforum.recruitment.models import QuotaCategory, SelectionRun

pytestmark = pytest.mark.browser


def test_a_quota_error_in_the_summary_takes_the_officer_to_its_box(
    page: Any, live_server: Any, axe_check: Any, recruiting_forum: Any, officer: Any
) -> None:
    woman = QuotaCategory.objects.get(question__forum=recruiting_forum, key="woman")
    sign_in_browser(page, live_server.url, officer)
    page.goto(f"{live_server.url}/staff/forums/{recruiting_forum.slug}/recruitment/quotas/")
    page.fill(f"#min-{woman.pk}", "three")
    page.get_by_role("button", name="Save quotas and check").click()
    expect(page).to_have_title(re.compile("^" + re.escape("Error: Quotas")))
    page.locator(".govuk-error-summary").get_by_role("link").click()
    box = page.get_by_role("textbox", name="Minimum for Woman (What is your gender?)")
    expect(box).to_be_focused()
    expect(box).to_have_value("three")
    expect(box).to_have_accessible_description(
        "Error: Minimum for Woman (What is your gender?) must be a whole number from 0 to 12"
    )
    axe_check(page)


def test_an_officer_puts_right_a_typo_in_a_question_and_its_answers(
    page: Any, live_server: Any, axe_check: Any, forum: Any, officer: Any
) -> None:
    add_age_question(forum, officer)
    sign_in_browser(page, live_server.url, officer)
    page.goto(f"{live_server.url}/staff/forums/{forum.slug}/recruitment/questions/")
    page.get_by_role("link", name="Change question label ‘How old are you?’").click()
    axe_check(page)
    page.get_by_role("textbox", name="Question").fill("")
    page.get_by_role("textbox", name="Answer 2").fill("30 or over")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_title(re.compile("^Error: Change ‘How old are you\\?’"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the question")
    expect(page.get_by_role("textbox", name="Answer 2")).to_have_value("30 or over")
    axe_check(page)
    page.get_by_role("textbox", name="Question").fill("How old are you now?")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Questions saved")
    expect(page.locator("main")).to_contain_text("30 or over")
    expect(page.get_by_role("heading", name="How old are you now?")).to_be_visible()


def test_a_quota_range_stays_on_one_line_on_a_phone(
    browser: Any, live_server: Any, _plain_http_cookies: None, axe_check: Any, pool: Any, officer: Any
) -> None:

    forum = pool[0].forum
    run = draw_panel(forum, officer)
    # Wider than the column's heading, as the ranges of a large panel are: "Quota" no longer sets its width.
    # (The run page shows the quotas the run kept; a panel of 12 cannot be drawn with these.)
    run.refresh_from_db()
    wide = [{**target, "min": 280, "max": 330} for target in run.targets]
    SelectionRun.objects.filter(pk=run.pk).update(targets=wide)
    context = browser.new_context(bypass_csp=True, viewport={"width": 320, "height": 800})
    page = context.new_page()
    sign_in_browser(page, live_server.url, officer)
    page.goto(f"{live_server.url}/staff/forums/{forum.slug}/recruitment/selection/{run.pk}/")
    cells = page.locator("table", has_text="quotas it was drawn with").locator("tbody tr td:nth-child(3)")
    assert cells.count() > 4
    line_counts = cells.evaluate_all(
        """cells => cells.map(cell => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
        })"""
    )
    assert line_counts == [1] * cells.count(), cells.all_inner_texts()
    axe_check(page)
    context.close()


def test_a_refused_upload_takes_the_officer_to_the_file_box_and_wraps_on_a_phone(
    page: Any, live_server: Any, axe_check: Any, forum: Any, officer: Any
) -> None:
    """The problems were plain text not linked to the file box, and a long cell quoted in one made the page
    674 px wide at 320 px."""
    sign_in_browser(page, live_server.url, officer)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.url}/staff/forums/{forum.slug}/recruitment/addresses/")
    data = b"uprn,address_line_1,postcode,ward\n1,1 High St," + b"NM1" * 40 + b",W\n"
    page.set_input_files(
        "#id_file", files=[{"name": "addresses.csv", "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Upload addresses").click()
    expect(page).to_have_title(re.compile("^Error: Upload the address list"))
    assert not page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    page.locator(".govuk-error-summary").get_by_role("link").click()
    box = page.get_by_label("CSV file")
    expect(box).to_be_focused()
    expect(box).to_have_accessible_description(re.compile(r"^Error:\s+Row 2, column 'postcode': 'NM1NM1"))
    axe_check(page)


def test_an_officer_corrects_a_registered_person_s_details_from_the_list(
    page: Any, live_server: Any, axe_check: Any, pool: Any, officer: Any
) -> None:
    from civicforum.recruitment.models import Respondent

    person = Respondent.objects.filter(forum=pool[0].forum).last()  # on the list's last page
    sign_in_browser(page, live_server.url, officer)
    page.goto(f"{live_server.url}/staff/forums/{person.forum.slug}/recruitment/respondents/")
    page.get_by_role("textbox", name="Reference").fill(person.reference.lower())
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#found")).to_contain_text(
        f"Showing the registration with the reference {person.reference}"
    )
    axe_check(page)
    page.get_by_role("link", name=f"Correct details of {person.reference}").click()
    expect(page).to_have_title(re.compile(f"^Correct the details of {person.reference}"))
    axe_check(page)
    page.get_by_role("textbox", name="Name").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_title(re.compile("^Error: Correct the details"))
    page.locator(".govuk-error-summary").get_by_role("link", name="Enter their full name").click()
    expect(page.get_by_role("textbox", name="Name")).to_be_focused()
    axe_check(page)
    page.get_by_role("textbox", name="Name").fill("Siân O'Brien")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"Details of {person.reference} corrected"
    )
    expect(page.get_by_role("cell", name="Siân O'Brien")).to_be_visible()
    assert Respondent.objects.get(pk=person.pk).full_name == "Siân O'Brien"
