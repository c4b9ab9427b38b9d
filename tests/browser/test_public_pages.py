"""Every public page passes axe-core at WCAG 2.2 A/AA and shows the GOV.UK furniture.

"Public" means every URL the role-matrix tables say an anonymous visitor gets (200), so pages
other apps add are checked as soon as they list them in their ``role_matrix.py``.
"""

from __future__ import annotations

from typing import Any

from tests.factories import make_forum
from tests.web.url_walk import public_pages


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
    from tests.factories import make_user_with_role, sign_in_browser

    settings.CIVICFORUM_ACCESSIBILITY_STATUS = "fully"
    settings.CIVICFORUM_ACCESSIBILITY_TESTED = "14/02/2027"
    sign_in_browser(page, live_server.url, make_user_with_role("officer", make_forum()))
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/accessibility/")
    note = page.locator(".govuk-inset-text", has_text="For staff: CIVICFORUM_ACCESSIBILITY_STATUS")
    assert "CIVICFORUM_ACCESSIBILITY_TESTED is '14/02/2027', which is not a date" in note.inner_text()
    sideways = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    assert not page.evaluate(sideways)
    axe_check(page)
