"""End to end in Chromium: the officer (with JavaScript off) runs the whole recruitment, and a resident
registers with the code from the officer's letters, with axe-core on every public step."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from tests.factories import PASSWORD
from tests.recruitment.conftest import address_csv, draw_panel, finish_run, invite_and_send, run_selection

from civicforum.recruitment.models import Lottery, PanelMember, Respondent

pytestmark = pytest.mark.browser


def register(page: Any, base: str, code: str, axe_check: Any) -> None:
    page.goto(f"{base}/register/")
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
        lambda: page.get_by_label("I agree").check(),
    ]
    for answer in steps:
        expect(page.locator("main h1")).to_have_count(1)  # waits for the step's page to load
        axe_check(page)
        answer()
        page.get_by_role("button", name="Continue").click()
    expect(page.locator("main h1")).to_contain_text("Check your answers")
    axe_check(page)
    page.get_by_role("button", name="Register").click()
    expect(page.locator("main")).to_contain_text("Registration complete")
    axe_check(page)


def test_whole_recruitment_journey(
    page: Any, page_without_js: Any, live_server: Any, axe_check: Any, pool: Any, officer: Any, tmp_path: Path
) -> None:
    forum = pool[0].forum
    base = f"{live_server.url}/forums/{forum.slug}"
    staff = f"{live_server.url}/staff/forums/{forum.slug}/recruitment"
    office = page_without_js

    office.goto(f"{live_server.url}/accounts/login/?next=/staff/forums/{forum.slug}/recruitment/")
    office.fill("#id_username", officer.username)
    office.fill("#id_password", PASSWORD)
    office.get_by_role("button", name="Sign in").click()
    expect(office.locator("body")).to_contain_text("Recruitment and selection")

    # 1-2. Address list, lottery, letters.
    upload = tmp_path / "addresses.csv"
    upload.write_bytes(address_csv(60))
    office.get_by_role("link", name="Upload the address list").click()
    office.set_input_files("#id_file", str(upload))
    office.get_by_role("button", name="Upload addresses").click()
    expect(office.locator("body")).to_contain_text("60 addresses imported")
    office.fill("#id_letters", "30")
    office.get_by_role("button", name="Draw addresses").click()
    expect(office.locator("body")).to_contain_text("30 addresses drawn")
    office.fill("#id_reply_by", "4 December 2026")
    office.get_by_role("button", name="Generate letters").click()
    expect(office.locator("body")).to_contain_text("Letters are ready")
    lottery = Lottery.objects.filter(forum=forum).order_by("-pk").first()
    with Path(lottery.mailing_csv).open(encoding="utf-8") as handle:
        code = list(csv.DictReader(handle))[0]["code"]

    # 3. The officer opens registration and a resident registers with that code.
    office.goto(f"{staff}/settings/")
    office.get_by_label("Registration is open to the public").check()
    office.get_by_role("button", name="Save settings").click()
    expect(office.locator("body")).to_contain_text("Recruitment settings saved")
    register(page, base, code, axe_check)
    assert Respondent.objects.filter(forum=forum).count() == len(pool) + 1

    # 5-6. Quotas, selection, publication.
    office.goto(f"{staff}/quotas/")
    office.get_by_role("button", name="Propose quotas").click()
    expect(office.locator("body")).to_contain_text("A panel meeting every quota can be drawn")
    office.goto(f"{staff}/selection/")
    expect(office.locator(".govuk-warning-text")).to_contain_text("Registration is still open")
    office.get_by_role("link", name="Close registration in the recruitment settings").click()
    office.get_by_label("Registration is open to the public").uncheck()
    office.get_by_role("button", name="Save settings").click()
    expect(office.locator("h1")).to_have_text("Run the selection")  # back where closing it was asked
    office.get_by_role("button", name="Start").click()
    # Step 1 stops at the lottery: its fingerprint is shown, and public, before the draw code exists.
    expect(office.locator("main")).to_contain_text("The lottery is ready: no panel has been drawn yet")
    fingerprint = office.locator("#commitment").inner_text()
    page.goto(f"{base}/selection-record/")
    expect(page.locator("#waiting-lottery")).to_contain_text(fingerprint)
    axe_check(page)
    office.get_by_role("button", name="Draw the panel").click()
    expect(office.locator(".govuk-error-summary")).to_contain_text("Enter the draw code")
    office.get_by_label("Draw code", exact=True).fill("4 17\u200b23 31")
    office.get_by_role("button", name="Draw the panel").click()
    expect(office.locator(".govuk-error-summary")).to_contain_text("a zero-width space (U+200B)")
    office.get_by_label("Draw code", exact=True).fill("4 17 23 31 38 45")
    office.get_by_label("Where the draw code came from (optional)").fill("Numbers drawn at the meeting")
    office.get_by_role("button", name="Draw the panel").click()
    expect(office.locator("body")).to_contain_text("The panel has been drawn from the lottery")
    expect(office.locator("body")).to_contain_text("Fingerprint of the possible panels")
    office.get_by_role("button", name="Publish the selection record").click()
    expect(office.locator(".govuk-error-summary")).to_contain_text("Confirm that you have checked the run")
    office.get_by_label("I have checked this run").check()
    office.get_by_role("button", name="Publish the selection record").click()
    expect(office.locator("body")).to_contain_text("The selection record is now on the forum's public page")
    page.goto(f"{base}/selection-record/")
    expect(page.locator("body")).to_contain_text("How the panel was selected")
    axe_check(page)

    # 7. Invitations, a decline, a replacement.
    office.goto(f"{staff}/panel/")
    office.get_by_role("button", name="Invite newly selected members").click()
    office.fill("#id_reply_by", "18 December 2026")
    office.get_by_role("button", name="Continue").click()
    expect(office.locator(".govuk-summary-list")).to_contain_text("Members to invite")
    office.get_by_role("button", name="Send invitations").click()
    expect(office.locator("body")).to_contain_text("12 members invited")
    expect(office.locator("#invitation-result")).to_contain_text("12 emailed")
    office.get_by_role("link", name="Back to the panel").click()
    office.get_by_role("button", name="Mark as declined").first.click()
    expect(office.locator(".govuk-warning-text")).to_contain_text("support needs recorded for")
    office.get_by_role("button", name="Record as declined").click()
    # The first 'Mark as confirmed' is the declined member's, to put a mistake right.
    office.get_by_role("button", name=re.compile("^Mark as confirmed")).nth(1).click()
    office.get_by_role("link", name="Draw replacement").click()
    office.get_by_role("button", name="Start").click()
    expect(office.locator("body")).to_contain_text("Replacement draw")
    office.get_by_label("Draw code", exact=True).fill("9 12 26 33 40 47")
    office.get_by_role("button", name="Draw the panel").click()
    expect(office.locator("#replacement-chances")).to_contain_text("filled 1 place")
    replacement = PanelMember.objects.get(forum=forum, replaces__isnull=False)
    assert replacement.replaces.status == "declined"
    office.goto(f"{staff}/panel/")
    assert office.locator("strong.govuk-tag", has_text="Replacement").count() == 1


def test_officer_pages_are_accessible(
    page: Any, live_server: Any, axe_check: Any, pool: Any, officer: Any
) -> None:
    from civicforum.recruitment.services import privacy, selection

    forum = pool[0].forum
    run = draw_panel(forum, officer)
    selection.publish(run, officer)
    batch = invite_and_send(forum, officer)
    failed, refused, phoned = batch.recipients.all()[:3]
    batch.recipients.filter(pk__in=[failed.pk, refused.pk]).update(email_status="failed")  # listed
    batch.recipients.filter(pk=phoned.pk).update(
        email_status="failed", reached_by="phone", reached_at=batch.created_at
    )
    declined = batch.recipients.all()[3]
    selection.set_member_status(declined, "declined", officer)
    replacements = run_selection(forum, officer, "legacy", seed="r", replacement=True)
    selection.set_member_status(batch.recipients.all()[4], "declined", officer)
    waiting = selection.start_run(forum, officer, "legacy", replacement=True)
    selection.execute_run(waiting.pk)  # its lottery waits for the draw code
    lottery = Lottery.objects.filter(forum=forum).first()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    staff = f"/staff/forums/{forum.slug}/recruitment/"
    paths = ["", "settings/", "questions/", "addresses/", "lottery/", f"lottery/{lottery.pk}/", "quotas/"]
    paths += [
        "selection/",
        f"selection/{run.pk}/",
        f"selection/{replacements.pk}/",
        f"selection/{waiting.pk}/",
        "panel/",
        "panel/invite/",
    ]
    paths += ["respondents/"]
    paths += [f"panel/invitations/{batch.pk}/", f"panel/{failed.pk}/decline/"]
    question = forum.quota_questions.first()
    paths += [f"questions/{question.pk}/remove/"]  # people have registered: says why it cannot be removed
    for path in paths:
        page.goto(live_server.url + staff + path)
        assert page.locator("main h1").count() == 1, path
        axe_check(page)
    page.goto(live_server.url + staff + f"selection/{waiting.pk}/")
    page.get_by_role("button", name="Draw the panel").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the draw code")
    axe_check(page)
    # On a small phone, or at 400% zoom, wide tables scroll inside their own boxes, never the page itself
    # (WCAG 1.4.10): the overview, quotas, people, invitations and staff pages used to.
    forum_staff = f"/staff/forums/{forum.slug}/"
    desktop = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    for path in [staff + path for path in paths] + ["/staff/", forum_staff, forum_staff + "audit-log/"]:
        page.goto(live_server.url + path)
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), path
    page.set_viewport_size(desktop)
    page.goto(live_server.url + staff + f"panel/invitations/{batch.pk}/")
    page.get_by_role("button", name="Record who you told").click()  # nothing ticked
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select how you told them")
    expect(page.locator("#reached-another-way")).to_contain_text("By phone")
    axe_check(page)
    # After the retention purge, the pages that said who registered say the data was deleted.
    privacy.purge_forum(forum)
    for path in [
        "",
        f"lottery/{lottery.pk}/",
        "selection/",
        f"selection/{run.pk}/",
        f"selection/{replacements.pk}/",
        "panel/",
        "respondents/",
    ]:
        page.goto(live_server.url + staff + path)
        expect(page.locator(".govuk-notification-banner")).to_contain_text("Personal data was deleted on")
        axe_check(page)
    for public in ("register/", "register/privacy/", "register/withdraw/", "panel/reply/"):
        page.goto(f"{live_server.url}/forums/{forum.slug}/{public}")
        expect(page.locator("main")).to_contain_text("deleted on")
        axe_check(page)
    page.goto(live_server.url + staff + "panel/invite/")  # nobody can be invited: back to the overview
    assert page.url == live_server.url + staff
    expect(page.locator(".govuk-error-summary")).to_contain_text("recruitment for this forum is closed")
    expect(page).to_have_title(re.compile("^Error: "))
    axe_check(page)


def test_removing_a_question_is_confirmed_on_an_accessible_page(
    page: Any, live_server: Any, axe_check: Any, recruiting_forum: Any, officer: Any
) -> None:
    forum = recruiting_forum
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/staff/forums/{forum.slug}/recruitment/questions/")
    page.get_by_role("link", name="Remove the question ‘How old are you?’").click()
    expect(page.locator("main h1")).to_have_text("Remove the question ‘How old are you?’?")
    axe_check(page)
    page.get_by_role("button", name="Yes, remove this question").click()
    expect(page.locator("body")).to_contain_text("‘How old are you?’ removed")
    assert not forum.quota_questions.filter(key="age").exists()


def test_a_special_category_question_no_quota_uses_is_flagged_accessibly_and_removed_from_the_warning(
    page: Any, live_server: Any, axe_check: Any, recruiting_forum: Any, officer: Any
) -> None:
    """Before registration opens: the settings page warns about a disability question no quota uses,
    refuses to open registration until the officer ticks to keep it, and links to removing it."""
    from tests.recruitment.conftest import close_registration

    from civicforum.recruitment.services import quotas

    forum = recruiting_forum
    close_registration(forum)
    quotas.add_question(
        forum,
        officer,
        "Do you have a disability?",
        "",
        [("Yes", None), ("No", None)],
        True,
        special_category=True,
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/staff/forums/{forum.slug}/recruitment/settings/")
    expect(page.locator(".govuk-warning-text")).to_contain_text("asks for special category data")
    page.get_by_label("Registration is open to the public").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Tick to confirm you need the answers")
    axe_check(page)
    page.get_by_role("link", name="Remove the question ‘Do you have a disability?’").click()
    page.get_by_role("button", name="Yes, remove this question").click()
    expect(page.locator("body")).to_contain_text("‘Do you have a disability?’ removed")
    expect(page.locator(".govuk-warning-text")).to_have_count(0)  # the questions page: nothing to warn of
    axe_check(page)


def test_the_quotas_and_start_pages_say_accessibly_why_they_wait(
    page: Any, live_server: Any, axe_check: Any, pool: Any, officer: Any
) -> None:
    """The start page when no panel is possible, the quotas page while a draw runs, and its confirmation
    once a panel is drawn (with the error when it is not ticked)."""
    from civicforum.recruitment.models import QuotaCategory
    from civicforum.recruitment.services import quotas, selection

    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    gender = QuotaCategory.objects.filter(question__forum=forum, question__key="gender")
    gender.update(min_members=7)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    staff = f"{live_server.url}/staff/forums/{forum.slug}/recruitment/"
    page.goto(staff + "selection/")
    expect(page.locator("main")).to_contain_text("No panel can be drawn yet")
    assert page.get_by_role("button", name="Start").count() == 0
    axe_check(page)
    gender.update(min_members=4)
    run = selection.start_run(forum, officer, "legacy")
    page.goto(staff + "quotas/")
    expect(page.locator("main")).to_contain_text("Wait for the draw to finish")
    axe_check(page)
    finish_run(run, officer)
    page.goto(staff + "quotas/")
    page.get_by_role("button", name="Save quotas and check").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Confirm that you understand")
    axe_check(page)


def test_a_quota_check_cut_short_is_said_accessibly_and_the_selection_can_still_start(
    page: Any, live_server: Any, axe_check: Any, pool: Any, officer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's quota check stops before deciding (its time limit set to nothing, as a large pool can
    make it run out): both pages say so in a warning with what to do, and the start page keeps its button."""
    import importlib

    from civicforum.recruitment.services import quotas

    monkeypatch.setattr(importlib.import_module("civicforum.selection.diagnose"), "SOLVE_TIME_LIMIT", 0.0)
    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    staff = f"{live_server.url}/staff/forums/{forum.slug}/recruitment/"
    for path in ("quotas/", "selection/"):
        page.goto(staff + path)
        expect(page.locator(".govuk-warning-text").first).to_contain_text(
            "The quotas could not be checked within"
        )
        expect(page.locator("main")).to_contain_text("You can still start the selection")
        axe_check(page)
    expect(page.get_by_role("button", name="Start")).to_be_visible()
