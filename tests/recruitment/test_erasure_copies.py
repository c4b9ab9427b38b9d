"""Erasing someone erases the copies too: no table and no file under MEDIA_ROOT keeps their name, contact
details, support needs or answers once they withdraw or the retention date passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from pypdf import PdfReader
from tests.recruitment.conftest import (
    close_registration,
    draw_panel,
    finish_run,
    invite_and_send,
    open_registration,
    staff_url,
)

from civicforum.recruitment.encryption import DEVELOPMENT_KEY
from civicforum.recruitment.models import (
    InvitationBatch,
    MemberStatus,
    PanelMember,
    RecruitmentSettings,
    Respondent,
    RunStatus,
    SelectionRun,
)
from civicforum.recruitment.services import civic_lottery, privacy, registration, selection

NAME = "Zebediah Quillfeather"
EMAIL = "zeb.quillfeather@example.org"
PHONE = "07700 900123"
NEEDS = "A ramp and a hearing loop, please"
ANSWERS = {"gender": "man", "age": "30-44", "ethnicity": "minority", "disability": "yes"}


def pdf_text(path: str | Path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages)


def traces(media_root: Path, *needles: str) -> list[str]:
    """Where any of ``needles`` is still stored: a row of any table (as stored, so encrypted fields do not
    count) or a file under ``media_root`` (a PDF by its text)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            for row in cursor.fetchall():
                text = " ".join(map(str, row)).lower()
                found += [f"{table}: {needle}" for needle in needles if needle.lower() in text]
    for path in media_root.rglob("*"):
        if path.is_file():
            text = pdf_text(path) if path.suffix == ".pdf" else path.read_text(errors="replace")
            found += [f"{path.name}: {needle}" for needle in needles if needle.lower() in text.lower()]
    return found


def register_named(forum: Any) -> Respondent:
    """A registration of someone with a name found nowhere else, at an address without one yet."""
    open_registration(forum)
    invitation = forum.lotteries.get().invitations.filter(respondents__isnull=True).first()
    details = registration.Registration(NAME, EMAIL, PHONE, ANSWERS, ["Saturday 6 March 2027"])
    respondent = registration.register(forum, invitation, details)
    close_registration(forum)
    return respondent


@pytest.mark.parametrize("erased_by", ["withdrawal", "retention purge"])
def test_nothing_stored_keeps_an_erased_panel_members_details(
    pool: Any, officer: Any, client: Any, media_root: Path, erased_by: str
) -> None:
    forum = Respondent.objects.first().forum
    lottery = forum.lotteries.get()
    civic_lottery.generate_letters(
        lottery.pk, "https://example.org/r", civic_lottery.request_letters(lottery, officer)
    )
    respondent = register_named(forum)
    run = draw_panel(forum, officer)
    if not PanelMember.objects.filter(respondent=respondent).exists():
        PanelMember.objects.create(forum=forum, run=run, respondent=respondent)
    selection.publish(run, officer)
    invite_and_send(forum, officer)
    member = PanelMember.objects.get(respondent=respondent)
    PanelMember.objects.filter(pk=member.pk).update(status=MemberStatus.CONFIRMED)
    member.refresh_from_db()
    registration.record_support_needs(member, NEEDS)
    client.force_login(officer)
    assert client.get(staff_url("panel_letters", forum)).status_code == 200
    address = respondent.invitation.address.address_line_1
    assert traces(media_root, NAME, address)  # the letter inviting them names them, at their address

    if erased_by == "withdrawal":
        registration.withdraw(Respondent.objects.get(pk=respondent.pk), officer)
    else:
        privacy.purge_forum(forum, officer)

    assert traces(media_root, NAME, EMAIL, PHONE, NEEDS) == []
    if erased_by == "withdrawal":  # the others' letters are kept, without theirs
        assert address not in pdf_text(RecruitmentSettings.objects.get(forum=forum).panel_letters)


def test_withdrawing_takes_their_letter_out_of_the_panels_letters_and_keeps_the_others(
    pool: Any, officer: Any
) -> None:
    forum = Respondent.objects.first().forum
    draw_panel(forum, officer)
    selection.publish(selection.current_draw(forum), officer)
    batch = invite_and_send(forum, officer)
    members = list(batch.recipients.select_related("respondent"))
    leaving, staying = members[0].respondent, members[1].respondent.full_name
    name = leaving.full_name
    before = pdf_text(batch.letters)
    assert name in before and staying in before

    registration.withdraw(leaving, officer)

    batch = InvitationBatch.objects.get(pk=batch.pk)
    after = pdf_text(batch.letters)
    assert name not in after
    assert staying in after
    assert batch.letters_written == len(members) - 1
    assert RecruitmentSettings.objects.get(forum=forum).panel_letters == batch.letters


def test_withdrawing_the_last_member_deletes_the_letters(pool: Any, officer: Any) -> None:
    forum = Respondent.objects.first().forum
    draw_panel(forum, officer)
    selection.publish(selection.current_draw(forum), officer)
    batch = invite_and_send(forum, officer)
    letters = Path(batch.letters)
    for member in batch.recipients.select_related("respondent"):
        registration.withdraw(member.respondent, officer)

    assert not letters.exists()
    assert InvitationBatch.objects.get(pk=batch.pk).letters == ""
    assert RecruitmentSettings.objects.get(forum=forum).panel_letters == ""


def waiting_for_its_code(forum: Any, officer: Any) -> SelectionRun:
    from civicforum.recruitment.services import quotas

    quotas.propose_quotas(forum, officer, slack=2)
    run = selection.start_run(forum, officer, "legacy")
    selection.execute_run(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.COMMITTED
    return run


def test_a_lottery_waiting_for_its_draw_code_keeps_the_answers_encrypted(pool: Any, officer: Any) -> None:
    forum = Respondent.objects.first().forum
    run = waiting_for_its_code(forum, officer)

    stored = run.result["answers"]
    assert isinstance(stored, str)  # one encrypted token, not the answers in a plain JSON column
    assert "ethnicity" not in stored
    answers = selection.opened_answers(stored)
    assert {"ethnicity", "disability"} <= set(next(iter(answers.values())))
    drawn = finish_run(run, officer, seed="public draw")
    assert drawn.status == RunStatus.DONE
    assert "answers" not in drawn.result
    drawn_with = {target["question"] for target in drawn.targets if target["feature"] == "gender"}
    composition = drawn.result["composition"]
    assert sum(row["count"] for row in composition if row["question"] in drawn_with) == 12


def test_withdrawing_takes_their_answers_out_of_a_lottery_waiting_for_its_draw_code(
    pool: Any, officer: Any
) -> None:
    forum = Respondent.objects.first().forum
    run = waiting_for_its_code(forum, officer)
    token, reference = next(
        (token, reference)
        for token, reference in run.result["tokens"].items()
        if token in selection.opened_answers(run.result["answers"])
    )

    registration.withdraw(Respondent.objects.get(reference=reference), officer)

    run.refresh_from_db()
    assert token not in selection.opened_answers(run.result["answers"])
    assert len(selection.opened_answers(run.result["answers"])) > 0  # the others' stay for the draw


def test_rotating_the_key_re_encrypts_the_answers_a_lottery_waiting_for_its_code_keeps(
    pool: Any, officer: Any, settings: Any
) -> None:
    from django.core.management import call_command

    forum = Respondent.objects.first().forum
    pool_key = DEVELOPMENT_KEY  # the pool's registrations were encrypted with it
    settings.FIELD_ENCRYPTION_KEYS = ["old key", pool_key]
    run = waiting_for_its_code(forum, officer)
    answers = selection.opened_answers(run.result["answers"])
    settings.FIELD_ENCRYPTION_KEYS = ["new key", "old key", pool_key]
    call_command("rotate_field_encryption")
    settings.FIELD_ENCRYPTION_KEYS = ["new key"]
    run.refresh_from_db()
    assert selection.opened_answers(run.result["answers"]) == answers


def test_a_member_who_withdraws_while_the_letters_are_written_is_left_out_of_them(
    pool: Any, officer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The letters are written outside the forum's lock; a withdrawal meanwhile found no letters to take
    the member out of, and the PDF then kept their name and address until the purge."""
    from civicforum.recruitment.services import panel_invitations

    forum = Respondent.objects.first().forum
    draw_panel(forum, officer)
    selection.publish(selection.current_draw(forum), officer)
    leaving = PanelMember.objects.filter(forum=forum).select_related("respondent").first().respondent
    name = leaving.full_name
    write_letters = panel_invitations.write_letters

    def withdrawing_meanwhile(*args: Any, **kwargs: Any) -> int:
        written = write_letters(*args, **kwargs)
        registration.withdraw(Respondent.objects.get(pk=leaving.pk), officer)
        return written

    monkeypatch.setattr(panel_invitations, "write_letters", withdrawing_meanwhile)
    batch = invite_and_send(forum, officer)
    monkeypatch.undo()

    assert batch.letters and name not in pdf_text(batch.letters)
    assert batch.letters_written == batch.recipients.count() - 1
