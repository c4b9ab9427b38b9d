"""Two officers pressing the same button at once, a press repeated, a worker that died or a task run twice:
one piece of work, never two mixed together, and the officer told what happened in plain English.

Tests marked ``postgres`` race two threads, each with its own database connection, and run only on
PostgreSQL (CI's second pass, ``.ci/run``): one thread holds its transaction open until the other has
reached the same step, so the outcome never depends on timing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from tests.races import race, racing
from tests.recruitment.conftest import finish_run, mark_invited, registered

from civicforum.core.models import AuditEvent
from civicforum.recruitment import tasks
from civicforum.recruitment.models import (
    InvitationBatch,
    LetterStatus,
    Lottery,
    MemberStatus,
    PanelMember,
    RecruitmentSettings,
    Respondent,
    RespondentStatus,
    RunStatus,
    SelectionRun,
)
from civicforum.recruitment.services import (
    civic_lottery,
    codes,
    engine,
    panel_invitations,
    quotas,
    registration,
    selection,
)

LETTER = {"heading": "Join $forum", "body": "Dear resident,\n\nPlease register.", "reply_by": "1 May"}
REGISTER_URL = "https://example.org/register"


def lottery_url(lottery: Lottery) -> str:
    return reverse("recruitment:lottery", kwargs={"forum_slug": lottery.forum.slug, "lottery_id": lottery.pk})


def code_hashes(lottery: Lottery) -> dict[str, str | None]:
    return dict(lottery.invitations.values_list("reference", "code_hash"))


def working_codes(lottery: Lottery) -> int:
    """How many of the mailing file's codes let someone register."""
    lottery.refresh_from_db()
    with Path(lottery.mailing_csv).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return sum(
        registration.check_code(lottery.forum, row["code"], "198.51.100.7").reference == row["reference"]
        for row in rows
    )


def make_stuck(lottery: Lottery) -> None:
    quiet = timezone.now() - timedelta(minutes=11)
    Lottery.objects.filter(pk=lottery.pk).update(letters_updated_at=quiet)


def test_generating_letters_already_being_generated_is_refused_and_changes_no_code(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    lottery = recruiting_forum.lotteries.get()
    civic_lottery.request_letters(lottery, officer)  # a colleague pressed "Generate letters" a moment ago
    before = code_hashes(lottery)

    response = signed_in_client(officer).post(lottery_url(lottery), LETTER, follow=True)

    page = response.content.decode()
    assert "These letters are already being generated, perhaps by a colleague" in page
    assert code_hashes(lottery) == before
    lottery.refresh_from_db()
    assert (lottery.letters_status, lottery.letters_generation) == (LetterStatus.RUNNING, 1)
    assert AuditEvent.objects.filter(action="recruitment.letters_requested").count() == 1


def test_letters_that_stopped_moving_say_so_and_can_be_generated_again(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    lottery = recruiting_forum.lotteries.get()
    civic_lottery.request_letters(lottery, officer)
    make_stuck(lottery)  # its worker was killed: nothing will ever finish it
    directory = civic_lottery.letters_directory(lottery)
    directory.mkdir(parents=True)
    (directory / "mailing.csv.0f1e2d.part").write_text("reference,code,...")  # what it was writing
    client = signed_in_client(officer)

    page = client.get(lottery_url(lottery)).content.decode()

    assert "The letters have not moved on from 0 of 200 for 10 minutes" in page
    assert "civicforum db_worker" in page and "Generate letters" in page
    assert "civicforum/progress.js" not in page  # nothing left to watch
    client.post(lottery_url(lottery), LETTER)
    lottery.refresh_from_db()
    assert lottery.letters_status == LetterStatus.READY
    assert working_codes(lottery) == 200
    assert sorted(path.name for path in directory.iterdir()) == ["letters.pdf", "mailing.csv"]


def test_a_replaced_generation_changes_no_code_even_when_its_task_runs_late(
    recruiting_forum: Any, officer: Any
) -> None:
    lottery = recruiting_forum.lotteries.get()
    first = civic_lottery.request_letters(lottery, officer)
    make_stuck(lottery)
    second = civic_lottery.request_letters(lottery, officer)

    civic_lottery.generate_letters(lottery.pk, REGISTER_URL, second)
    issued = code_hashes(lottery)
    civic_lottery.generate_letters(lottery.pk, REGISTER_URL, first)  # the first task, picked up at last

    assert code_hashes(lottery) == issued
    assert working_codes(lottery) == 200
    assert AuditEvent.objects.filter(action="recruitment.letters_generated").count() == 1


def test_a_generation_replaced_while_it_runs_stops_and_leaves_the_new_codes_working(
    recruiting_forum: Any, officer: Any, monkeypatch: Any
) -> None:
    """A worker that looked dead was only slow: the officer generated the letters again, and the new
    generation ran to the end while the old one was still part way through."""
    lottery = recruiting_forum.lotteries.get()
    first = civic_lottery.request_letters(lottery, officer)
    monkeypatch.setattr(civic_lottery, "BULK_BATCH", 50)
    new_code = codes.new_code
    issued = []

    def new_code_and_meanwhile() -> str:
        issued.append(1)
        if len(issued) == 60:  # the old generation has saved its first 50 codes
            make_stuck(lottery)
            second = civic_lottery.request_letters(Lottery.objects.get(pk=lottery.pk), officer)
            civic_lottery.generate_letters(lottery.pk, REGISTER_URL, second)
        return new_code()

    monkeypatch.setattr(codes, "new_code", new_code_and_meanwhile)
    civic_lottery.generate_letters(lottery.pk, REGISTER_URL, first)

    assert working_codes(lottery) == 200
    assert lottery.letters_status == LetterStatus.READY and lottery.letters_generation == 2


def test_letters_that_fail_tell_the_officer_what_to_do_in_plain_english(
    signed_in_client: Any, recruiting_forum: Any, officer: Any, media_root: Any
) -> None:
    lottery = recruiting_forum.lotteries.get()
    media_root.mkdir(parents=True)
    civic_lottery.letters_directory(lottery).parent.parent.write_text("a file where a folder goes")

    signed_in_client(officer).post(lottery_url(lottery), LETTER)

    page = signed_in_client(officer).get(lottery_url(lottery)).content.decode()
    assert "Generating the letters failed: the server could not write the files" in page
    assert "ask your IT team to check the server&#x27;s log and free disk space" in page
    assert "Errno" not in page and "Traceback" not in page and "Generate letters" in page


@pytest.fixture
def forum_with_quotas(pool: Any, officer: Any) -> Any:
    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    return forum


def queued_run(forum: Any, officer: Any) -> SelectionRun:
    """A run of the quick legacy method, queued for a worker."""
    return selection.start_run(forum, officer, "legacy")


def run_url(forum: Any, run: SelectionRun) -> str:
    return reverse("recruitment:run", kwargs={"forum_slug": forum.slug, "run_id": run.pk})


def test_starting_a_selection_while_one_is_unfinished_shows_that_run_instead(
    signed_in_client: Any, forum_with_quotas: Any, officer: Any
) -> None:
    forum = forum_with_quotas
    first = queued_run(forum, officer)  # queued, no worker yet

    url = reverse("recruitment:start_selection", kwargs={"forum_slug": forum.slug})
    response = signed_in_client(officer).post(url, {"algorithm": "legacy"}, follow=True)

    assert response.redirect_chain == [(run_url(forum, first), 302)]
    assert (
        "A selection run is already in progress, perhaps started by a colleague" in response.content.decode()
    )
    assert SelectionRun.objects.filter(forum=forum).count() == 1


def test_a_stuck_run_is_marked_stopped_when_a_new_one_starts_and_its_late_task_draws_nothing(
    signed_in_client: Any, forum_with_quotas: Any, officer: Any
) -> None:
    forum = forum_with_quotas
    stuck = queued_run(forum, officer)
    SelectionRun.objects.filter(pk=stuck.pk).update(
        status=RunStatus.RUNNING, updated_at=timezone.now() - timedelta(minutes=31)
    )

    new = finish_run(queued_run(forum, officer), officer, "t")
    selection.execute_run(stuck.pk)  # the stopped run's task, run again by a restarted worker

    stuck.refresh_from_db()
    assert (stuck.status, stuck.error) == (RunStatus.FAILED, selection.STOPPED)
    page = signed_in_client(officer).get(run_url(forum, stuck)).content.decode()
    again = reverse("recruitment:start_selection", kwargs={"forum_slug": forum.slug})
    assert f'<a class="govuk-link" href="{again}">Start the selection again</a>' in page
    assert not stuck.members.exists()
    assert new.members.count() == 12 and PanelMember.objects.filter(forum=forum).count() == 12


def test_a_stuck_replacement_draw_links_to_drawing_the_replacements_again(
    signed_in_client: Any, forum_with_quotas: Any, officer: Any
) -> None:
    forum = forum_with_quotas
    panel_with_two_declined(forum, officer)
    stuck = selection.start_run(forum, officer, "legacy", replacement=True)
    SelectionRun.objects.filter(pk=stuck.pk).update(
        status=RunStatus.RUNNING, updated_at=timezone.now() - timedelta(minutes=31)
    )

    page = signed_in_client(officer).get(run_url(forum, stuck)).content.decode()

    again = reverse("recruitment:start_selection", kwargs={"forum_slug": forum.slug}) + "?replacements=1"
    assert f'<a class="govuk-link" href="{again}">start a new run</a>: this one will then be marked' in page


def test_a_selection_task_run_twice_works_out_one_lottery(forum_with_quotas: Any, officer: Any) -> None:
    forum = forum_with_quotas
    run = queued_run(forum, officer)

    selection.execute_run(run.pk)
    committed = SelectionRun.objects.get(pk=run.pk).committed_at
    selection.execute_run(run.pk)

    assert SelectionRun.objects.get(pk=run.pk).committed_at == committed
    assert AuditEvent.objects.filter(action="recruitment.selection_committed").count() == 1
    selection.draw(run, "s", "", officer)
    assert AuditEvent.objects.filter(action="recruitment.selection_finished").count() == 1
    assert PanelMember.objects.filter(forum=forum).count() == 12


def during_the_draw(monkeypatch: Any, event: Callable[[], None]) -> None:
    """``event`` happens while the engine works out the lottery (a colleague acting while the run
    computes), so before the draw code picks the panel."""
    lottery = engine.lottery

    def lottery_then_event(*args: Any) -> Any:
        worked_out = lottery(*args)
        event()
        return worked_out

    monkeypatch.setattr(engine, "lottery", lottery_then_event)


def test_a_run_whose_volunteers_withdrew_while_it_ran_saves_no_panel(
    forum_with_quotas: Any, officer: Any, monkeypatch: Any
) -> None:
    forum = forum_with_quotas
    run = queued_run(forum, officer)
    everyone = Respondent.objects.filter(forum=forum)
    during_the_draw(monkeypatch, lambda: everyone.update(status=RespondentStatus.WITHDRAWN))

    run = finish_run(run, officer)

    assert (run.status, run.error) == (RunStatus.FAILED, selection.WITHDREW_DURING_RUN)
    assert not PanelMember.objects.filter(forum=forum).exists()


def test_a_run_that_cannot_be_saved_fails_in_plain_english_rather_than_running_for_ever(
    forum_with_quotas: Any, officer: Any, monkeypatch: Any
) -> None:
    forum = forum_with_quotas
    run = queued_run(forum, officer)

    def broken_save(*args: Any, **kwargs: Any) -> None:
        raise KeyError("probabilities")

    monkeypatch.setattr(SelectionRun, "save", broken_save)
    selection.execute_run(run.pk)

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == (
        "The lottery was worked out but could not be saved (KeyError). Start the selection again."
    )


def panel_with_two_declined(forum: Any, officer: Any) -> list[PanelMember]:
    """A drawn panel on which two members declined; returns them."""
    finish_run(queued_run(forum, officer), officer)
    mark_invited(forum)
    declined = list(PanelMember.objects.filter(forum=forum).order_by("id")[:2])
    for member in declined:
        selection.set_member_status(member, MemberStatus.DECLINED, officer)
    return declined


def test_replacements_drawn_while_a_reply_changed_save_nothing_and_say_why(
    signed_in_client: Any, forum_with_quotas: Any, officer: Any, monkeypatch: Any
) -> None:
    forum = forum_with_quotas
    declined = panel_with_two_declined(forum, officer)
    run = selection.start_run(forum, officer, "legacy", replacement=True)
    # The first decline was a mistake: the officer corrects it while the replacements are drawn.
    during_the_draw(
        monkeypatch, lambda: selection.set_member_status(declined[0], MemberStatus.CONFIRMED, officer)
    )

    run = finish_run(run, officer)

    assert (run.status, run.error) == (RunStatus.FAILED, selection.PANEL_CHANGED_DURING_RUN)
    page = signed_in_client(officer).get(run_url(forum, run)).content.decode()
    again = reverse("recruitment:start_selection", kwargs={"forum_slug": forum.slug}) + "?replacements=1"
    assert f'<a class="govuk-link" href="{again}">Draw the replacements again</a>' in page
    assert PanelMember.objects.filter(forum=forum).exclude(status=MemberStatus.DECLINED).count() == 11
    assert selection.places_to_fill(forum) == 1


def test_publishing_twice_keeps_the_first_time_and_one_audit_event(
    signed_in_client: Any, forum_with_quotas: Any, officer: Any
) -> None:
    forum = forum_with_quotas
    run = finish_run(queued_run(forum, officer), officer)
    client = signed_in_client(officer)

    client.post(run_url(forum, run), {"understood": "on"})
    first = SelectionRun.objects.get(pk=run.pk).published_at
    client.post(run_url(forum, run), {"understood": "on"})  # a colleague on the same page, a moment later

    assert first is not None and SelectionRun.objects.get(pk=run.pk).published_at == first
    assert AuditEvent.objects.filter(action="recruitment.selection_published").count() == 1


@racing
def test_two_officers_generating_letters_at_once_start_one_generation(
    recruiting_forum: Any, officer: Any
) -> None:
    lottery = recruiting_forum.lotteries.get()

    def press() -> int:
        return civic_lottery.request_letters(Lottery.objects.get(pk=lottery.pk), officer)

    outcomes = race(press, press)

    assert outcomes[0] == 1 and isinstance(outcomes[1], civic_lottery.LettersBusy)
    assert Lottery.objects.get(pk=lottery.pk).letters_generation == 1


@racing
def test_two_officers_starting_a_selection_at_once_start_one_run(
    forum_with_quotas: Any, officer: Any
) -> None:
    forum = forum_with_quotas

    def press() -> SelectionRun:
        return selection.start_run(forum, officer, "legacy")

    outcomes = race(press, press)

    assert isinstance(outcomes[0], SelectionRun) and isinstance(outcomes[1], selection.RunInProgress)
    assert SelectionRun.objects.filter(forum=forum).count() == 1


@racing
def test_two_officers_inviting_the_panel_at_once_email_each_member_once(
    forum_with_quotas: Any, officer: Any, mailoutbox: Any
) -> None:
    forum = forum_with_quotas
    finish_run(queued_run(forum, officer), officer)

    def press() -> Any:  # as the view does
        batch = panel_invitations.invite_selected(forum, officer, "https://example.org/reply", "1 May")
        if batch is not None:
            tasks.start(tasks.send_invitations, batch.pk)
        return batch

    outcomes = race(press, press)

    assert isinstance(outcomes[0], InvitationBatch) and outcomes[1] is None
    assert outcomes[0].recipients.count() == len(mailoutbox) == 12
    assert len(list(civic_lottery.forum_directory(forum).glob("panel-letters-*.pdf"))) == 1


@racing
def test_a_reply_recorded_while_replacements_are_saved_waits_and_is_refused(
    forum_with_quotas: Any, officer: Any
) -> None:
    forum = forum_with_quotas
    declined = panel_with_two_declined(forum, officer)
    run = selection.start_run(forum, officer, "legacy", replacement=True)

    def correct_the_reply() -> None:
        selection.set_member_status(declined[0], MemberStatus.CONFIRMED, officer)

    selection.execute_run(run.pk)  # the lottery is worked out; the draw code saves the replacements
    outcomes = race(lambda: selection.draw(run, "r", "", officer), correct_the_reply)

    assert isinstance(outcomes[1], selection.PlaceFilled)
    assert PanelMember.objects.filter(forum=forum).exclude(status=MemberStatus.DECLINED).count() == 12


@racing
def test_a_phone_registration_saved_as_a_draw_starts_waits_and_is_refused(
    forum_with_quotas: Any, officer: Any
) -> None:
    """The draw reads the pool: a registration an officer saves while the draw is being started waits for
    it, then is refused, rather than joining the pool behind the draw's back."""
    forum = forum_with_quotas
    invitation = forum.lotteries.get().invitations.filter(respondents__isnull=True).first()
    details = registration.Registration(full_name="Ada Lovelace", phone="01632 960002")

    outcomes = race(
        lambda: queued_run(forum, officer),
        lambda: registration.register(forum, invitation, details, officer),
    )

    assert isinstance(outcomes[0], SelectionRun) and isinstance(outcomes[1], registration.DrawInProgress)
    assert registered(forum) == 150


@racing
def test_a_resident_registering_as_registration_closes_for_a_draw_waits_and_is_refused(
    forum_with_quotas: Any, officer: Any
) -> None:
    """A resident's registration read that registration was open, then saved without waiting for the
    officer closing registration and starting the draw, so it joined the pool behind the draw's back.
    It now checks and saves under the forum's lock, as a draw starts under it."""
    forum = forum_with_quotas
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=True)
    invitation = forum.lotteries.get().invitations.filter(respondents__isnull=True).first()
    details = registration.Registration(full_name="Ada Lovelace", email="ada@example.org")

    def close_and_draw() -> SelectionRun:
        RecruitmentSettings.objects.filter(forum=forum).update(registration_open=False)
        return queued_run(forum, officer)

    outcomes = race(close_and_draw, lambda: registration.register(forum, invitation, details))

    assert isinstance(outcomes[0], SelectionRun)
    assert isinstance(outcomes[1], registration.RegistrationClosed)
    assert registered(forum) == 150


@racing
def test_register_pressed_twice_at_once_saves_one_registration(recruiting_forum: Any) -> None:
    """A double click sent the check page twice, both requests reading the answers before either saved
    its confirmation: two registrations of the same person. The second now waits for the first under
    the forum's lock and returns what it saved."""
    forum = recruiting_forum
    invitation = forum.lotteries.get().invitations.first()
    details = registration.Registration(full_name="Ada Lovelace", email="ada@example.org")
    submission = registration.new_submission()

    def press() -> Respondent:
        return registration.register(forum, invitation, details, submission=submission)

    outcomes = race(press, press)

    assert isinstance(outcomes[0], Respondent) and outcomes[1] == outcomes[0]
    assert list(Respondent.objects.filter(forum=forum)) == [outcomes[0]]


@racing
def test_quotas_saved_as_a_draw_starts_wait_and_are_refused(forum_with_quotas: Any, officer: Any) -> None:
    forum = forum_with_quotas

    outcomes = race(lambda: queued_run(forum, officer), lambda: quotas.propose_quotas(forum, officer, 1))

    assert isinstance(outcomes[0], SelectionRun) and isinstance(outcomes[1], quotas.QuotasInUse)


@racing
def test_a_withdrawal_while_the_panel_is_saved_waits_and_declines_the_place(
    forum_with_quotas: Any, officer: Any
) -> None:
    """A volunteer withdrew while the draw was saving the panel: the withdrawal did not wait, so the
    draw put them on the panel as selected, with their details already erased."""
    forum = forum_with_quotas
    run = queued_run(forum, officer)
    drawn: list[int] = []

    selection.execute_run(run.pk)

    def draw() -> None:
        selection.draw(run, "s", "", officer)
        drawn.extend(PanelMember.objects.filter(run=run).values_list("respondent_id", flat=True))

    outcomes = race(draw, lambda: registration.withdraw(Respondent.objects.get(pk=drawn[0]), officer))

    assert outcomes == [None, True]
    member = PanelMember.objects.get(respondent_id=drawn[0])
    assert (member.status, member.respondent.status) == (MemberStatus.DECLINED, RespondentStatus.WITHDRAWN)
    assert selection.places_to_fill(forum) == 1


@racing
def test_an_officer_and_the_person_withdrawing_them_at_once_withdraw_them_once(
    signed_in_client: Any, forum_with_quotas: Any, officer: Any
) -> None:
    """A resident withdrew online while an officer, on the phone with them, pressed 'Withdraw': both
    were saved, and the audit log said they withdrew twice."""
    forum = forum_with_quotas
    person = Respondent.objects.filter(forum=forum, status=RespondentStatus.REGISTERED).first()
    reference, email = person.reference, person.email
    client = signed_in_client(officer)
    url = reverse("recruitment:withdraw", kwargs={"forum_slug": forum.slug, "respondent_id": person.pk})

    outcomes = race(
        lambda: registration.withdraw_by_reference(forum, reference, email, "198.51.100.7"),
        lambda: client.post(url, follow=True),
    )

    assert isinstance(outcomes[0], Respondent)
    assert (
        f"{reference} had already been withdrawn a moment ago (perhaps they did it online or a colleague "
        "did): their personal data is erased" in outcomes[1].content.decode()
    )
    assert Respondent.objects.get(pk=person.pk).status == RespondentStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action="recruitment.respondent_withdrawn").count() == 1


def invited_member(forum: Any, officer: Any) -> PanelMember:
    """A member of a drawn panel, invited and waiting to reply."""
    from tests.recruitment.conftest import mark_invited

    finish_run(queued_run(forum, officer), officer)
    mark_invited(forum)
    return PanelMember.objects.filter(forum=forum).select_related("respondent").first()


@racing
def test_an_accept_and_a_decline_sent_at_once_keep_the_first_and_refuse_the_second(
    forum_with_quotas: Any, officer: Any
) -> None:
    """A member pressed "Yes" on their phone and "No" on their computer a moment apart: both were
    saved, the last silently replacing the first, and both screens said the reply was recorded."""
    forum = forum_with_quotas
    member = invited_member(forum, officer)
    respondent = member.respondent

    def answer(accepts: bool) -> Callable[[], PanelMember]:
        return lambda: panel_invitations.reply(
            forum, respondent.reference, respondent.email, accepts, "198.51.100.7"
        )

    outcomes = race(answer(True), answer(False))

    assert outcomes[0].status == MemberStatus.CONFIRMED
    assert isinstance(outcomes[1], registration.CodeProblem)
    assert str(outcomes[1]).startswith("We already have a reply for this place. If you want to change it")
    assert PanelMember.objects.get(pk=member.pk).status == MemberStatus.CONFIRMED
    assert AuditEvent.objects.filter(action__startswith="recruitment.member_").count() == 1


@racing
def test_a_reply_online_while_an_officer_records_one_is_refused(forum_with_quotas: Any, officer: Any) -> None:
    forum = forum_with_quotas
    member = invited_member(forum, officer)
    respondent = member.respondent

    outcomes = race(
        lambda: selection.set_member_status(member, MemberStatus.DECLINED, officer),
        lambda: panel_invitations.reply(forum, respondent.reference, respondent.email, True, "198.51.100.7"),
    )

    assert isinstance(outcomes[1], registration.CodeProblem)
    assert PanelMember.objects.get(pk=member.pk).status == MemberStatus.DECLINED
    assert selection.places_to_fill(forum) == 1


@racing
def test_an_officer_recording_a_reply_while_one_is_sent_online_waits_and_is_refused(
    forum_with_quotas: Any, officer: Any
) -> None:
    """The officer's page showed the member as selected; the member's own 'Yes' was being saved as the
    officer pressed 'Declined', which then replaced it without a word."""
    forum = forum_with_quotas
    member = invited_member(forum, officer)
    respondent = member.respondent

    outcomes = race(
        lambda: panel_invitations.reply(forum, respondent.reference, respondent.email, True, "198.51.100.7"),
        lambda: selection.set_member_status(
            member, MemberStatus.DECLINED, officer, seen=MemberStatus.SELECTED
        ),
    )

    assert isinstance(outcomes[1], selection.RepliedMeanwhile)
    assert "they are now recorded as ‘Confirmed’" in str(outcomes[1])
    assert PanelMember.objects.get(pk=member.pk).status == MemberStatus.CONFIRMED
    assert AuditEvent.objects.filter(action__startswith="recruitment.member_").count() == 1


def draw_url(forum: Any) -> str:
    return reverse("recruitment:draw_lottery", kwargs={"forum_slug": forum.slug})


@racing
def test_two_officers_drawing_the_lottery_at_once_draw_once(recruiting_forum: Any, officer: Any) -> None:
    """Both presses drew: two lotteries, and as neither saw the other's addresses, households with two
    letters and two codes."""
    forum = recruiting_forum
    seen = forum.lotteries.get().pk  # both officers opened the page after the first mailing

    def press() -> Lottery:
        return civic_lottery.draw_lottery(forum, officer, forum.address_lists.get(), 100, seen_latest=seen)

    outcomes = race(press, press)

    assert isinstance(outcomes[0], Lottery) and isinstance(outcomes[1], civic_lottery.LotteryAlreadyDrawn)
    assert outcomes[1].lottery == outcomes[0]
    assert forum.lotteries.count() == 2


def test_drawing_again_from_a_page_shown_before_a_colleagues_draw_shows_that_draw(
    signed_in_client: Any, recruiting_forum: Any, officer: Any
) -> None:
    forum, client = recruiting_forum, signed_in_client(officer)
    page = client.get(draw_url(forum)).content.decode()
    first = forum.lotteries.get()
    assert f'<input type="hidden" name="seen_latest" value="{first.pk}">' in page
    press = {"address_list": forum.address_lists.get().pk, "letters": "10", "seen_latest": first.pk}
    client.post(draw_url(forum), press)
    second = forum.lotteries.exclude(pk=first.pk).get()

    response = client.post(draw_url(forum), press, follow=True)  # pressed again, or by a colleague

    assert response.redirect_chain == [(lottery_url(second), 302)]
    assert (
        "These addresses were drawn a moment ago, perhaps by a colleague. This is that draw: to send a "
        "second mailing, draw the lottery again." in response.content.decode()
    )
    assert forum.lotteries.count() == 2


@racing
def test_a_question_changed_or_removed_as_the_first_resident_registers_waits_and_is_refused(
    recruiting_forum: Any, officer: Any
) -> None:
    """Changing a question's wording or removing it checked that nobody had registered without waiting
    for a registration being saved, so the first resident's answers could end up meaning something else,
    or lost. Both now check and change under the forum's lock, as a registration saves under it."""
    forum = recruiting_forum
    question = forum.quota_questions.filter(from_address=False).first()
    invitations = list(forum.lotteries.get().invitations.all()[:2])
    for invitation, change in zip(
        invitations,
        [
            lambda: quotas.change_question_wording(question, officer, "New words?", question.hint, {}),
            lambda: quotas.delete_question(question, officer),
        ],
        strict=True,
    ):
        details = registration.Registration(full_name="Ada Lovelace", email=f"ada{invitation.pk}@example.org")
        outcomes = race(lambda: registration.register(forum, invitation, details), change)  # noqa: B023
        assert isinstance(outcomes[1], quotas.QuestionInUse)
        Respondent.objects.filter(forum=forum).delete()  # nobody registered again, for the next race
    question.refresh_from_db()
    assert question.label != "New words?"
