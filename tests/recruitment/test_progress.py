"""Work running in the background (selection runs, letters, panel invitations): no automatic reload
(WCAG 2.2.1), a status region and "Check again" without JavaScript, and a page that keeps itself up to
date with JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from tests.browser.fixtures import WCAG_TAGS
from tests.factories import sign_in_browser

from civicforum.recruitment.models import (
    InvitationBatch,
    InvitationBatchStatus,
    LetterStatus,
    RunStatus,
    SelectionRun,
)


def running_run(forum: Any) -> SelectionRun:
    return SelectionRun.objects.create(
        forum=forum,
        panel_size=forum.panel_size,
        status=RunStatus.RUNNING,
        progress=0.3,
        message="Finding panels",
    )


def running_letters(forum: Any) -> Any:
    lottery = forum.lotteries.get()
    lottery.letters_status = LetterStatus.RUNNING
    lottery.letters_done = 50
    lottery.letters_updated_at = timezone.now()
    lottery.save()
    return lottery


def sending_invitations(forum: Any) -> InvitationBatch:
    return InvitationBatch.objects.create(
        forum=forum,
        reply_url="https://example.org/reply",
        reply_by="1 May",
        status=InvitationBatchStatus.SENDING,
    )


def work_pages(forum: Any) -> list[str]:
    staff = f"/staff/forums/{forum.slug}/recruitment"
    return [
        f"{staff}/selection/{running_run(forum).pk}/",
        f"{staff}/lottery/{running_letters(forum).pk}/",
        f"{staff}/panel/invitations/{sending_invitations(forum).pk}/",
    ]


@pytest.mark.django_db
def test_pages_of_running_work_never_reload_themselves_and_say_how_to_check_again(
    client: Any, recruiting_forum: Any, officer: Any
) -> None:
    client.force_login(officer)
    for path in work_pages(recruiting_forum):
        html = client.get(path).content.decode()
        assert 'http-equiv="refresh"' not in html
        assert 'role="status"' in html and 'aria-live="polite"' in html
        assert f'<a class="govuk-link" href="{path}">Check again</a>' in html
        assert "civicforum/progress.js" in html


def test_pages_of_running_work_pass_axe_including_its_meta_refresh_rule(
    page: Any, live_server: Any, axe_check: Any, recruiting_forum: Any, officer: Any
) -> None:
    sign_in_browser(page, live_server.url, officer)
    for path in work_pages(recruiting_forum):
        page.goto(live_server.url + path)
        axe_check(page)
        expect(page.get_by_role("status")).to_be_visible()
        ran = page.evaluate(
            "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
            " return [...r.passes, ...r.inapplicable, ...r.violations, ...r.incomplete].map(x => x.id); }",
            WCAG_TAGS,
        )
        assert "meta-refresh" in ran
        page.get_by_role("link", name="Check again").click()
        expect(page).to_have_url(live_server.url + path)


def test_the_run_page_shows_progress_as_it_comes_and_reloads_once_when_the_run_finishes(
    page: Any, live_server: Any, recruiting_forum: Any, officer: Any
) -> None:
    sign_in_browser(page, live_server.url, officer)
    run = running_run(recruiting_forum)
    page.goto(f"{live_server.url}/staff/forums/{recruiting_forum.slug}/recruitment/selection/{run.pk}/")
    status = page.get_by_role("status")
    expect(status).to_have_text("Finding panels")
    expect(page.locator("main")).to_contain_text("This page checks the progress every few seconds.")
    page.evaluate("() => { window.sameDocument = true; }")

    run.progress, run.message = 0.6, "Rounding to a lottery and drawing"
    run.save()
    expect(status).to_have_text("Rounding to a lottery and drawing")
    expect(page.locator("main")).to_contain_text("60% done.")
    assert page.evaluate("() => window.sameDocument === true"), "the page reloaded while the run was running"

    run.status, run.error = RunStatus.FAILED, "No panel can meet all the quotas."
    run.save()
    expect(page.locator("main")).to_contain_text("The selection could not be made.")
    expect(page.get_by_role("status")).to_have_count(0)
    assert page.evaluate("() => window.sameDocument === undefined")
