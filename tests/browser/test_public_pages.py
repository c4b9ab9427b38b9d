"""Every public page passes axe-core at WCAG 2.2 A/AA and shows the GOV.UK furniture.

"Public" means every URL the role-matrix tables say an anonymous visitor gets (200), so pages
other apps add are checked as soon as they list them in their ``role_matrix.py``.
"""

from __future__ import annotations

from typing import Any

from tests.factories import make_forum, make_user_with_role, sign_in_browser
from tests.web.url_walk import public_pages

from civicforum.processes.models import StageKind


def test_every_public_page_is_accessible(page: Any, live_server: Any, axe_check: Any) -> None:
    forum = make_forum(title="Parks forum", summary="Residents decide how to spend the parks budget.")
    public = [*public_pages(forum), "/no-such-page/"]
    problems, checked = [], 0
    for url in public:
        response = page.goto(live_server.url + url)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        checked += 1
        if page.locator("a.govuk-skip-link").get_attribute("href") != "#main-content":
            problems.append(f"{url}: no skip link to #main-content")
        page.keyboard.press("Tab")  # a box focused on load (autofocus) starts a screen reader mid-page
        if not page.evaluate("document.activeElement.matches('a.govuk-skip-link')"):
            problems.append(f"{url}: the first Tab does not reach the skip link")
        if page.locator("main#main-content h1").count() != 1:
            problems.append(f"{url}: needs exactly one <h1> inside <main id='main-content'>")
        try:
            axe_check(page)
        except AssertionError as failure:
            problems.append(str(failure))
    assert checked >= 6, f"only {checked} public HTML pages found"
    assert not problems, "\n".join(problems)


def test_the_accessibility_statement_with_every_section_is_accessible(
    page: Any, live_server: Any, axe_check: Any, settings: Any
) -> None:
    """The public-pages walk sees the statement as a fresh site shows it; this one has the sections a
    council's settings add (known problems, dates) and a forum's phone number."""
    from civicforum.recruitment.models import RecruitmentSettings

    settings.CIVICFORUM_ACCESSIBILITY_STATUS = "partial"
    settings.CIVICFORUM_ACCESSIBILITY_PROBLEMS = ["The map of wards has no text alternative."]
    settings.CIVICFORUM_ACCESSIBILITY_TESTED = "2027-02-14"
    settings.CIVICFORUM_ACCESSIBILITY_PREPARED = "2027-03-01"
    RecruitmentSettings.objects.create(forum=make_forum(title="Parks forum"), phone="01632 960 123")
    page.goto(live_server.url + "/accessibility/")
    assert page.get_by_text("Parks forum").count() == 1
    assert page.get_by_text("partially compliant").count() == 1
    axe_check(page)


def test_the_statement_s_note_for_staff_names_settings_not_understood_and_fits_a_phone(
    page: Any, live_server: Any, axe_check: Any, settings: Any
) -> None:
    """The note names settings such as CIVICFORUM_ACCESSIBILITY_STATUS, too long for a 320 px line: they
    break to fit rather than push the page sideways."""

    settings.CIVICFORUM_ACCESSIBILITY_STATUS = "fully"
    settings.CIVICFORUM_ACCESSIBILITY_TESTED = "14/02/2027"
    sign_in_browser(page, live_server.url, make_user_with_role("officer", make_forum()))
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/accessibility/")
    note = page.locator(".govuk-inset-text", has_text="For staff: CIVICFORUM_ACCESSIBILITY_STATUS")
    assert "CIVICFORUM_ACCESSIBILITY_TESTED is '14/02/2027', which is not a date" in note.inner_text()
    assert not page.evaluate(SIDEWAYS)
    axe_check(page)


# The spacing WCAG 1.4.12 says a reader may set without losing content.
TEXT_SPACING = (
    "* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }"
    " p { margin-bottom: 2em !important; }"
)
SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


def test_a_finished_stage_s_long_name_and_tag_fit_a_small_phone_with_wider_text_spacing(
    page: Any, live_server: Any, axe_check: Any
) -> None:
    """'5. Recommendations' and its 'Completed' tag were one table row: neither can break, so with wider text
    spacing at 320 px the row, and the page, scrolled sideways (WCAG 1.4.10, 1.4.12). The tag now wraps under
    the name, on the public page and on the staff page with its Change links."""
    forum = make_forum(title="Parks forum", current_stage=StageKind.EVALUATION)
    page.set_viewport_size({"width": 320, "height": 640})
    for url in (f"/forums/{forum.slug}/", f"/staff/forums/{forum.slug}/"):
        if url.startswith("/staff/"):
            sign_in_browser(page, live_server.url, make_user_with_role("officer", forum))
        page.goto(live_server.url + url)
        name = page.get_by_role("heading", name="5. Recommendations")
        tag = page.locator(".govuk-task-list__item", has=name).locator(".govuk-tag")
        assert tag.inner_text() == "Completed"
        assert not page.evaluate(SIDEWAYS), f"{url} scrolls sideways at 320 px"
        page.add_style_tag(content=TEXT_SPACING)
        assert not page.evaluate(SIDEWAYS), f"{url} scrolls sideways at 320 px with wider text spacing"
        name_box, tag_box = name.bounding_box(), tag.bounding_box()
        assert tag_box["y"] > name_box["y"] + name_box["height"] - 1, "the tag did not wrap under the name"
        page.reload()
        axe_check(page)


def test_a_list_s_numbers_stay_on_the_page_with_text_at_twice_the_size(page: Any, live_server: Any) -> None:
    """GOV.UK indents a numbered list by a fixed 20px: with text at 200% (WCAG 1.4.4: a phone's or browser's
    text size setting) on a narrow screen, the numbers hung past the page's left edge, cut off. The indent
    grows with the text, and is GOV.UK's 20px at the normal size."""
    page.set_viewport_size({"width": 640, "height": 900})
    page.goto(live_server.url + "/accessibility/")
    numbered = page.locator("main .govuk-list--number, main .govuk-list--bullet").first
    indent = "list => parseFloat(getComputedStyle(list).paddingLeft)"
    assert numbered.evaluate(indent) == 20
    page.add_style_tag(content="html { font-size: 200% !important; }")
    # A number and its full stop ("9.") need about the font size's width.
    font_size = numbered.evaluate("list => parseFloat(getComputedStyle(list).fontSize)")
    assert numbered.evaluate(indent) >= font_size
