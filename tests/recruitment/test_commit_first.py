"""Commit-first draws: the lottery and its fingerprint are saved and shown before the draw code exists,
and the code, entered once, picks the panel."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from tests.races import race, racing
from tests.recruitment.conftest import mark_invited, run_selection, staff_url

from civicforum.core.models import AuditEvent
from civicforum.recruitment.models import MemberStatus, PanelMember, RunStatus, SelectionRun
from civicforum.recruitment.services import quotas, registration, selection
from civicforum.selection import cli
from civicforum.selection.lottery import commitment_of, draw_index

pytestmark = pytest.mark.django_db

LOTTERY_NUMBERS = "4 17 23 31 38 45"


@pytest.fixture
def waiting_run(pool: Any, officer: Any) -> SelectionRun:
    """A full selection whose lottery has been worked out (step 1), waiting for its draw code."""
    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    run = selection.start_run(forum, officer, "legacy")
    selection.execute_run(run.pk)
    run.refresh_from_db()
    return run


def run_page(run: SelectionRun) -> str:
    return staff_url("run", run.forum, run_id=run.pk)


def record_page(client: Any, forum: Any) -> Any:
    return client.get(reverse("recruitment:selection_record", args=[forum.slug]))


def test_working_out_the_lottery_saves_its_fingerprint_and_no_draw_code_or_panel(
    waiting_run: SelectionRun,
) -> None:
    run = waiting_run
    assert run.status == RunStatus.COMMITTED and run.committed_at is not None
    assert run.seed == "" and run.chosen_index is None and run.finished_at is None
    assert run.lottery_size == 1000
    assert run.commitment == commitment_of(run.result["lottery_panels"])
    assert not PanelMember.objects.filter(forum=run.forum).exists()
    # The lottery was worked out from this pool and these quotas: neither may change until it is drawn.
    assert quotas.change_blocker(run.forum) is not None
    assert registration.run_in_progress(run.forum) == run


def test_the_run_page_shows_the_fingerprint_and_asks_for_the_draw_code(
    signed_in_client: Any, waiting_run: SelectionRun, officer: Any
) -> None:
    page = signed_in_client(officer).get(run_page(waiting_run)).content.decode()

    assert waiting_run.commitment in page
    assert "The lottery is ready: no panel has been drawn yet" in page
    assert "Read out or publish the fingerprint before anyone can know the draw code" in page
    assert 'name="code"' in page and "Draw the panel" in page
    assert "Publish the selection record" not in page


def test_the_draw_code_picks_the_panel_draw_index_names(
    signed_in_client: Any, waiting_run: SelectionRun, officer: Any
) -> None:
    client = signed_in_client(officer)
    response = client.post(
        run_page(waiting_run),
        {"code": f"  {LOTTERY_NUMBERS} ", "source": "National Lottery 28 Nov, drawn at the public meeting"},
        follow=True,
    )

    assert "The panel has been drawn from the lottery" in response.content.decode()
    run = SelectionRun.objects.get(pk=waiting_run.pk)
    assert run.status == RunStatus.DONE and run.seed == LOTTERY_NUMBERS
    assert run.seed_source == "National Lottery 28 Nov, drawn at the public meeting"
    assert run.chosen_index == draw_index(run.commitment, LOTTERY_NUMBERS, 1000)
    chosen = run.result["lottery_panels"][run.chosen_index]
    members = PanelMember.objects.filter(forum=run.forum).values_list("respondent__reference", flat=True)
    assert sorted(members) == sorted(run.result["tokens"][token] for token in chosen)
    assert run.finished_at >= run.committed_at
    drawn = AuditEvent.objects.get(action="recruitment.selection_drawn")
    assert drawn.actor == officer


def test_a_lottery_is_drawn_once_whatever_is_pressed_again(
    signed_in_client: Any, waiting_run: SelectionRun, officer: Any
) -> None:
    client = signed_in_client(officer)
    client.post(run_page(waiting_run), {"code": LOTTERY_NUMBERS})
    again = client.post(run_page(waiting_run), {"code": "1 2 3 4 5 6"}, follow=True).content.decode()

    assert f"This lottery has already been drawn, with the draw code ‘{LOTTERY_NUMBERS}’" in html.unescape(
        again
    )
    run = SelectionRun.objects.get(pk=waiting_run.pk)
    assert run.seed == LOTTERY_NUMBERS
    with pytest.raises(selection.DrawRefused, match="already been drawn"):
        selection.draw(waiting_run, "1 2 3 4 5 6", "", officer)
    assert AuditEvent.objects.filter(action="recruitment.selection_finished").count() == 1
    assert PanelMember.objects.filter(forum=run.forum).count() == 12


@racing
def test_two_officers_drawing_at_once_draw_once(waiting_run: SelectionRun, officer: Any) -> None:
    outcomes = race(
        lambda: selection.draw(waiting_run, LOTTERY_NUMBERS, "", officer),
        lambda: selection.draw(waiting_run, "1 2 3 4 5 6", "", officer),
    )

    assert isinstance(outcomes[0], SelectionRun) and isinstance(outcomes[1], selection.DrawRefused)
    assert SelectionRun.objects.get(pk=waiting_run.pk).seed == LOTTERY_NUMBERS
    assert PanelMember.objects.filter(forum=waiting_run.forum).count() == 12


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("   ", "Enter the draw code"),
        ("7" * 201, "Draw code must be 200 characters or fewer"),
        ("4 17\t23", "Draw code must not include a tab (U+0009): nobody reading the code can see it"),
        ("4 17\u200b23", "must not include a zero-width space (U+200B)"),
        ("4\u00a017 23", "must not include a no-break space (U+00A0)"),
        ("4\u200b17 23\u202e", "a right-to-left override (U+202E): nobody reading the code can see them"),
    ],
)
def test_a_draw_code_that_cannot_be_checked_is_refused_saying_why(
    signed_in_client: Any, waiting_run: SelectionRun, officer: Any, code: str, message: str
) -> None:
    page = signed_in_client(officer).post(run_page(waiting_run), {"code": code}).content.decode()

    assert message in html.unescape(page) and "govuk-error-summary" in page
    with pytest.raises(selection.DrawRefused, match=re.escape(message)):
        selection.draw(waiting_run, code, "", officer)
    assert SelectionRun.objects.get(pk=waiting_run.pk).status == RunStatus.COMMITTED
    assert not PanelMember.objects.filter(forum=waiting_run.forum).exists()


def test_starting_again_replaces_a_lottery_waiting_for_its_code(
    signed_in_client: Any, waiting_run: SelectionRun, officer: Any
) -> None:
    client = signed_in_client(officer)
    start = staff_url("start_selection", waiting_run.forum)
    assert "is waiting for its draw code. Starting again replaces it" in client.get(start).content.decode()

    client.post(start, {"algorithm": "legacy"})

    old = SelectionRun.objects.get(pk=waiting_run.pk)
    assert (old.status, old.error) == (RunStatus.FAILED, selection.REPLACED_BEFORE_DRAW)
    new = SelectionRun.objects.exclude(pk=old.pk).get()
    assert new.status == RunStatus.COMMITTED  # the immediate task backend worked out its lottery
    with pytest.raises(selection.DrawRefused, match="cannot be drawn"):
        selection.draw(old, LOTTERY_NUMBERS, "", officer)
    assert selection.draw(new, LOTTERY_NUMBERS, "", officer).status == RunStatus.DONE


def test_the_public_record_shows_the_fingerprint_before_the_draw_and_the_code_after(
    client: Any, waiting_run: SelectionRun, officer: Any, tmp_path: Path
) -> None:
    forum = waiting_run.forum
    before = record_page(client, forum)
    assert before.status_code == 200
    shown = html.unescape(before.content.decode())
    assert waiting_run.commitment in shown and "It has not been drawn yet" in shown
    distribution = reverse("recruitment:selection_distribution", args=[forum.slug])
    assert client.get(distribution).status_code == 404  # nothing drawn to verify yet

    source = "National Lottery 28 Nov"
    selection.publish(selection.draw(waiting_run, LOTTERY_NUMBERS, source, officer), officer)

    after = html.unescape(record_page(client, forum).content.decode())
    assert "It has not been drawn yet" not in after
    assert LOTTERY_NUMBERS in after and source in after and "Fingerprint recorded on" in after
    assert "Drawn: the panel came from this lottery" in after
    document = client.get(distribution).json()
    assert (document["seed"], document["seed_source"]) == (LOTTERY_NUMBERS, source)
    assert document["committed_at"] < document["drawn_at"]
    assert [lottery["commitment"] for lottery in document["lotteries"]] == [waiting_run.commitment]
    (tmp_path / "distribution.json").write_bytes(client.get(distribution).content)
    selected = client.get(reverse("recruitment:selection_selected", args=[forum.slug])).content
    (tmp_path / "selected.csv").write_bytes(selected)
    assert cli.verify(tmp_path, LOTTERY_NUMBERS) == 0


def test_the_public_record_lists_a_lottery_replaced_before_its_draw(
    client: Any, waiting_run: SelectionRun, officer: Any
) -> None:
    forum = waiting_run.forum
    drawn = run_selection(forum, officer, "legacy", seed=LOTTERY_NUMBERS)  # replaces the waiting one
    selection.publish(drawn, officer)

    page = html.unescape(record_page(client, forum).content.decode())

    assert waiting_run.commitment in page and drawn.commitment in page
    assert "Set aside before a draw code was entered: no panel was drawn from it" in page


def test_replacements_are_drawn_in_the_same_two_steps(
    signed_in_client: Any, waiting_run: SelectionRun, officer: Any
) -> None:
    forum = waiting_run.forum
    selection.draw(waiting_run, LOTTERY_NUMBERS, "", officer)
    mark_invited(forum)
    declined = PanelMember.objects.filter(forum=forum).first()
    selection.set_member_status(declined, MemberStatus.DECLINED, officer)
    run = selection.start_run(forum, officer, "legacy", replacement=True)
    selection.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.COMMITTED and not PanelMember.objects.filter(run=run).exists()

    signed_in_client(officer).post(run_page(run), {"code": "9 12 26", "source": "First meeting"})

    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.seed == "9 12 26"
    replacement = PanelMember.objects.get(run=run)
    assert replacement.replaces == declined and replacement.status == MemberStatus.SELECTED
    assert PanelMember.objects.filter(forum=forum).exclude(status=MemberStatus.DECLINED).count() == 12


def test_someone_chosen_who_withdrew_while_the_lottery_waited_leaves_the_code_on_record(
    waiting_run: SelectionRun, officer: Any
) -> None:
    """The code was used: the run keeps it, so the public list shows this draw too, and no panel is
    saved with someone whose data was erased."""
    index = draw_index(waiting_run.commitment, LOTTERY_NUMBERS, waiting_run.lottery_size)
    token = waiting_run.result["lottery_panels"][index][0]
    reference = waiting_run.result["tokens"][token]
    person = waiting_run.forum.respondents.get(reference=reference)
    registration.withdraw(person, officer)

    run = selection.draw(waiting_run, LOTTERY_NUMBERS, "", officer)

    assert (run.status, run.error) == (RunStatus.FAILED, selection.WITHDREW_DURING_RUN)
    assert run.seed == LOTTERY_NUMBERS and not PanelMember.objects.filter(forum=run.forum).exists()
    assert "its panel could not be used" in selection.lottery_history(run.forum)[0].outcome


def test_where_the_draw_code_came_from_is_kept_as_it_reads(waiting_run: SelectionRun, officer: Any) -> None:
    """A note pasted with a right-to-left override would show reversed on the public record."""
    run = selection.draw(waiting_run, LOTTERY_NUMBERS, " Lottery\u202e 28 Nov\t", officer)

    assert run.seed_source == "Lottery 28 Nov"


def test_what_to_do_next_asks_for_the_draw_code_while_the_lottery_waits(
    signed_in_client: Any, waiting_run: SelectionRun, officer: Any
) -> None:
    forum = waiting_run.forum
    forum.lotteries.update(letters_status="ready")

    page = signed_in_client(officer).get(staff_url("overview", forum)).content.decode()

    assert "Enter the draw code to draw the panel from the lottery" in page
    assert "Lottery ready, waiting for the draw code" in page


def test_a_waiting_lottery_holds_the_quotas_until_it_is_drawn_or_set_aside(
    signed_in_client: Any, waiting_run: SelectionRun, officer: Any
) -> None:
    """Starting again would only work out another lottery with the same quotas: setting the lottery
    aside is how the officer gets to change them."""
    forum, client = waiting_run.forum, signed_in_client(officer)
    quotas_page = client.get(staff_url("quotas", forum)).content.decode()
    assert html.unescape(quotas.LOTTERY_WAITS) in html.unescape(quotas_page)
    with pytest.raises(quotas.QuotasInUse):
        quotas.propose_quotas(forum, officer, slack=1)

    response = client.post(run_page(waiting_run), {"set_aside": "yes"}, follow=True)

    assert "The lottery has been set aside" in response.content.decode()
    run = SelectionRun.objects.get(pk=waiting_run.pk)
    assert (run.status, run.error, run.seed) == (RunStatus.FAILED, selection.SET_ASIDE, "")
    assert quotas.change_blocker(forum) is None
    quotas.propose_quotas(forum, officer, slack=1)
    with pytest.raises(selection.DrawRefused):
        selection.draw(run, LOTTERY_NUMBERS, "", officer)


def test_deleting_the_registrations_sets_a_waiting_lottery_aside_with_the_answers_it_kept(
    waiting_run: SelectionRun, officer: Any
) -> None:
    from civicforum.recruitment.services import privacy

    assert waiting_run.result["answers"]  # kept for the draw's record of the panel it picks
    privacy.purge_forum(waiting_run.forum, officer)

    run = SelectionRun.objects.get(pk=waiting_run.pk)
    assert (run.status, run.error, run.result) == (RunStatus.FAILED, selection.PURGED_BEFORE_DRAW, {})
    assert run.commitment == waiting_run.commitment  # still listed on the public record


def test_a_replacement_lottery_the_panel_changed_under_is_set_aside_without_using_the_code(
    waiting_run: SelectionRun, officer: Any
) -> None:
    """Whatever panel the code picked, it could not be saved: the code is not used, so no draw is made
    whose result is then thrown away."""
    forum = waiting_run.forum
    selection.draw(waiting_run, LOTTERY_NUMBERS, "", officer)
    mark_invited(forum)
    first, second = PanelMember.objects.filter(forum=forum).order_by("id")[:2]
    selection.set_member_status(first, MemberStatus.DECLINED, officer)
    run = selection.start_run(forum, officer, "legacy", replacement=True)
    selection.execute_run(run.pk)
    selection.set_member_status(second, MemberStatus.DECLINED, officer)  # while the lottery waits

    run = selection.draw(run, "9 12 26", "", officer)

    assert (run.status, run.error) == (RunStatus.FAILED, selection.PANEL_CHANGED_DURING_RUN)
    assert run.seed == "" and run.chosen_index is None
    assert not PanelMember.objects.filter(run=run).exists() and selection.places_to_fill(forum) == 2
