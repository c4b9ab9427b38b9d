from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from tests.recruitment.conftest import (
    address_csv,
    close_registration,
    draw_panel,
    email_counts,
    invite_and_send,
    mark_invited,
    open_registration,
    run_selection,
)

from civicforum.core.models import AuditEvent
from civicforum.recruitment.models import (
    Address,
    Invitation,
    Lottery,
    MemberStatus,
    PanelMember,
    QuotaCategory,
    RecruitmentSettings,
    Respondent,
    RespondentStatus,
    SelectionRun,
)
from civicforum.recruitment.services import civic_lottery, engine, privacy, quotas, registration, selection
from civicforum.recruitment.services.letters import partial_path
from civicforum.recruitment.services.problems import FileRejected
from civicforum.recruitment.services.quotas import propose_range

pytestmark = pytest.mark.django_db


def test_a_bad_address_file_imports_nothing(forum: Any, officer: Any) -> None:
    data = address_csv(5) + b"9999,Somewhere,NOT-A-POSTCODE,North Ward,1\n"
    with pytest.raises(FileRejected, match=r"row 7, column 'postcode'"):
        civic_lottery.import_addresses(forum, officer, data, "a.csv")
    assert not Address.objects.exists()


def test_lottery_is_recorded_and_reproducible(recruiting_forum: Any, officer: Any) -> None:
    from civicforum.recruitment.services.lottery import LotteryAddress, draw_addresses

    lottery = recruiting_forum.lotteries.get()
    rows = lottery.address_list.addresses.values_list("uprn", "ward", "deprivation_decile")
    again = draw_addresses([LotteryAddress(*row) for row in rows], 200, "fixture")
    first = sorted(lottery.invitations.values_list("address__uprn", flat=True))
    assert first == sorted(again.uprns)
    assert lottery.letters_per_ward == {"North Ward": 100, "South Ward": 100}
    assert AuditEvent.objects.filter(action="recruitment.lottery_drawn", forum=recruiting_forum).count() == 1


def test_letters_issue_codes_that_register_and_household_limit_holds(recruiting_forum: Any) -> None:
    lottery = recruiting_forum.lotteries.get()
    generation = civic_lottery.request_letters(lottery, None)
    civic_lottery.generate_letters(lottery.pk, "https://example.org/register", generation)
    lottery.refresh_from_db()
    assert lottery.letters_status == "ready" and lottery.letters_done == 200
    rows = Path(lottery.mailing_csv).read_text(encoding="utf-8").splitlines()
    reference, code = rows[1].split(",")[:2]
    invitation = registration.check_code(recruiting_forum, code.lower().replace("-", " "), "1.2.3.4")
    assert invitation.reference == reference
    for name in ("Ada Lovelace", "Alan Turing"):
        registration.register(recruiting_forum, invitation, registration.Registration(full_name=name))
    with pytest.raises(registration.CodeProblem, match="already been used by 2 people"):
        registration.check_code(recruiting_forum, code, "1.2.3.4")
    # Someone who got past the code page before the last place went is told the same, not 'everyone it
    # allows', which does not say who or how many.
    with pytest.raises(registration.CodeProblem, match="already been used by 2 people from your household"):
        registration.register(
            recruiting_forum, invitation, registration.Registration(full_name="Grace Hopper")
        )


def test_wrong_codes_are_rate_limited(recruiting_forum: Any) -> None:
    for _ in range(registration.MAX_FAILED_CODE_CHECKS):
        with pytest.raises(registration.CodeProblem, match="do not recognise"):
            registration.check_code(recruiting_forum, "AAAAA-AAAAA", "5.6.7.8")
    with pytest.raises(registration.CodeProblem, match="too many codes"):
        registration.check_code(recruiting_forum, "AAAAA-AAAAA", "5.6.7.8")


def test_same_person_twice_is_flagged(recruiting_forum: Any) -> None:
    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    first = registration.register(
        recruiting_forum, invitation, registration.Registration(full_name="Ada Lovelace")
    )
    second = registration.register(
        recruiting_forum, invitation, registration.Registration(full_name="ada  lovelace")
    )
    assert second.possible_duplicate_of == first


def test_personal_data_is_encrypted_at_rest(recruiting_forum: Any) -> None:
    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    details = registration.Registration(
        full_name="Ada Lovelace", email="ada@example.org", answers={"ethnicity": "white"}
    )
    respondent = registration.register(recruiting_forum, invitation, details)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT full_name, email, answers FROM recruitment_respondent WHERE id = %s", [respondent.pk]
        )
        raw = " ".join(cursor.fetchone())
    # Each plaintext holds a character (space, dot, quote) that a Fernet token never does, so a token
    # cannot contain it by chance ("Ada" alone turns up in about one run in a thousand).
    assert "Ada Lovelace" not in raw and "example.org" not in raw and '"white"' not in raw
    assert all(value.startswith("gAAAAA") for value in raw.split(" "))  # Fernet tokens, version 0x80
    loaded = Respondent.objects.get(pk=respondent.pk)
    assert (loaded.full_name, loaded.email, loaded.answers) == (
        "Ada Lovelace",
        "ada@example.org",
        {"ethnicity": "white"},
    )


def test_withdrawal_erases_personal_data(pool: Any, officer: Any) -> None:
    respondent = pool[0]
    registration.withdraw(Respondent.objects.get(pk=respondent.pk), officer)
    erased = Respondent.objects.get(pk=respondent.pk)
    assert (erased.full_name, erased.email, erased.answers, erased.status) == ("", "", {}, "withdrawn")
    assert erased.invitation is None  # the letter's address would still say whose record it was


def test_a_withdrawn_registration_keeps_only_what_the_figures_and_the_audit_log_need(
    recruiting_forum: Any, officer: Any
) -> None:
    """Their reference (the log's events name it) and that they withdrew (the withdrawn count): not their
    ward or when they registered, which beside a reference could say who it was, nor that an officer
    registered them, nor a possible-duplicate flag linking them to another registration either way."""
    from civicforum.recruitment.services import export

    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).select_related("address").first()
    leaving = registration.register(
        recruiting_forum, invitation, registration.Registration(full_name="Ada Lovelace"), officer
    )
    staying = registration.register(
        recruiting_forum, invitation, registration.Registration(full_name="ada  lovelace")
    )
    assert staying.possible_duplicate_of == leaving and leaving.ward == invitation.address.ward

    registration.withdraw(leaving, officer)
    kept = Respondent.objects.get(pk=leaving.pk)
    assert (kept.reference, kept.status) == (leaving.reference, "withdrawn")
    assert (kept.ward, kept.registered_at, kept.registered_by, kept.possible_duplicate_of) == (
        "",
        None,
        None,
        None,
    )
    assert Respondent.objects.get(pk=staying.pk).possible_duplicate_of is None
    assert privacy.aggregates(recruiting_forum)["withdrawn"] == 1
    withdrawn = AuditEvent.objects.get(action="recruitment.respondent_withdrawn")
    assert withdrawn.target_label == leaving.reference and withdrawn.actor == officer
    text, _count = export.contacts_csv(recruiting_forum)
    rows = {row.split(",")[0]: row for row in text.splitlines()[1:]}
    assert rows[leaving.reference].strip(",\r") == f"{leaving.reference},withdrawn"
    assert invitation.address.ward not in rows[leaving.reference]
    # The officer's list puts them last, after everyone still registered, on SQLite and PostgreSQL alike.
    assert list(Respondent.objects.filter(forum=recruiting_forum)) == [staying, kept]


def test_purge_keeps_only_aggregates(pool: Any) -> None:
    forum = pool[0].forum
    letters = civic_lottery.forum_directory(forum) / "panel-letters-20261201-120000.pdf"
    letters.parent.mkdir(parents=True)
    letters.write_bytes(b"%PDF names and addresses")
    mailing = letters.parent / "lottery-1" / "mailing.csv"
    mailing.parent.mkdir()
    mailing.write_text("reference,code,address\n")  # plain-text codes
    lottery = Lottery.objects.filter(forum=forum).first()
    lottery.mailing_csv = str(mailing)
    lottery.save(update_fields=["mailing_csv"])
    # A worker killed while writing (a restart, out of memory) leaves its part-written files behind.
    killed_mid_write = [partial_path(letters), partial_path(mailing.parent / "letters.pdf")]
    for partial in killed_mid_write:
        partial.write_bytes(b"%PDF names and addresses, half-written")
    settings_row = forum.recruitment
    settings_row.retention_until = "2020-01-01"
    settings_row.save()
    assert privacy.purge_expired() == 150
    settings_row.refresh_from_db()
    assert not Respondent.objects.filter(forum=forum).exists()
    assert settings_row.retained_aggregates["registered"] == 150
    assert sum(settings_row.retained_aggregates["by_answer"]["gender"].values()) == 150
    assert not letters.exists()
    assert not mailing.exists()
    assert not [partial for partial in killed_mid_write if partial.exists()]
    assert not Lottery.objects.filter(forum=forum).exclude(mailing_csv="").exists()


def test_registrants_from_wards_with_long_names_count_in_their_ward_category(
    forum: Any, officer: Any
) -> None:
    # Both names give slugs longer than 50 characters that share their first 50.
    stem = "Northam Castle Harbourside Old Market and Riverside Gardens"
    wards = [f"{stem} North", f"{stem} South"]
    rows = [f"{100 + i},{i} Long Road,NM1 1AB,{wards[i % 2]}" for i in range(10)]
    data = "\n".join(["uprn,address_line_1,postcode,ward", *rows]).encode()
    address_list = civic_lottery.import_addresses(forum, officer, data, "addresses.csv")
    question = quotas.add_ward_question(forum, officer)
    RecruitmentSettings.objects.create(forum=forum, registration_open=True)
    lottery = civic_lottery.draw_lottery(forum, officer, address_list, 10, seed="long wards")
    for invitation in lottery.invitations.all():
        registration.register(forum, invitation, registration.Registration(full_name=invitation.reference))
    keys = {category.label: category.key for category in question.categories.all()}
    assert len(set(keys.values())) == 2 and all(len(key) <= 50 for key in keys.values())
    assert privacy.aggregates(forum)["by_answer"][question.key] == {keys[ward]: 5 for ward in wards}
    features = {person.features[question.key] for person in quotas.build_instance(forum).people}
    assert features == set(keys.values())


def test_proposed_ranges_bracket_the_population_share() -> None:
    assert propose_range(0.51, 60, 1) == quotas.ProposedRange(29, 32)
    assert propose_range(0.0, 60, 2) == quotas.ProposedRange(0, 2)
    assert propose_range(1.0, 10, 3) == quotas.ProposedRange(7, 10)


def assert_anyone_can_verify(run: SelectionRun, references: set[str], directory: Path) -> None:
    """The published files pass the selection CLI's own verifier and name no registration reference."""
    from civicforum.selection.cli import main as selection_cli

    for name, text in selection.verification_files(run).items():
        (directory / name).write_text(text, encoding="utf-8")
        assert not any(reference in text for reference in references)
    assert selection_cli(["selection", "verify", str(directory), "--seed", run.seed]) == 0
    assert selection_cli(["selection", "verify", str(directory), "--seed", "another seed"]) != 0


def test_selection_confirmation_replacement_and_public_record(
    pool: Any, officer: Any, tmp_path: Path
) -> None:
    forum = pool[0].forum
    run = draw_panel(forum, officer, "leximin", seed="public-seed")
    assert run.status == "done", run.error
    members = list(PanelMember.objects.filter(run=run))
    assert len(members) == 12
    assert len({m.respondent.invitation_id for m in members}) == 12  # one per household
    assert abs(sum(run.result["probabilities"].values()) - 12) < 1e-3
    for row in selection.panel_against_targets(forum):
        assert (row["min"] or 0) <= row["count"] <= (12 if row["max"] is None else row["max"])

    mark_invited(forum)
    selection.set_member_status(members[0], MemberStatus.DECLINED, officer)
    for member in members[1:]:
        selection.set_member_status(member, MemberStatus.CONFIRMED, officer)
    replacement_run = run_selection(forum, officer, "leximin", replacement=True)
    replacement = PanelMember.objects.get(run=replacement_run)
    assert replacement.replaces == members[0]
    assert selection.places_to_fill(forum) == 0

    assert not selection.has_public_record(forum)
    selection.publish(run, officer)
    assert selection.has_public_record(forum)
    record = selection.public_record(forum)
    assert record is not None and record["lottery_size"] == 1000
    shown = {row["count"] for row in record["composition"]}
    assert not shown & {"1", "2", "3", "4"}
    assert_anyone_can_verify(run, {r.reference for r in pool}, tmp_path)
    assert SelectionRun.objects.filter(forum=forum).count() == 2


def test_selected_members_are_invited_and_reply_online(pool: Any, officer: Any, mailoutbox: Any) -> None:
    from civicforum.recruitment.services import panel_invitations

    forum = pool[0].forum
    run = draw_panel(forum, officer, "leximin")
    # A line break that reached the service (not through the form, which refuses it) is one space.
    batch = invite_and_send(forum, officer, "1\nMay")
    assert email_counts(batch) == {"sent": 12} and len(mailoutbox) == 12
    assert "Please tell us by 1 May whether" in mailoutbox[0].body
    # Registration no longer asks about support needs; the invitation asks those who will take part.
    assert "any support you need to take part (for example step-free access" in mailoutbox[0].body
    from pypdf import PdfReader

    assert "Tell us by 1 May whether you can take part." in PdfReader(batch.letters).pages[0].extract_text()
    assert Path(batch.letters).read_bytes().count(b"/Type /Page ") == 12
    assert panel_invitations.invite_selected(forum, officer, "https://example.org/reply", "1 May") is None
    member = PanelMember.objects.filter(run=run).select_related("respondent").first()
    with pytest.raises(registration.CodeProblem):
        panel_invitations.reply(forum, member.respondent.reference, "wrong@example.org", True, "9.9.9.9")
    replied = panel_invitations.reply(
        forum, member.respondent.reference, member.respondent.email, False, "9.9.9.9"
    )
    assert replied.status == MemberStatus.DECLINED
    assert selection.places_to_fill(forum) == 1


def test_a_place_not_yet_offered_cannot_be_replied_to(pool: Any, officer: Any) -> None:
    """The reply form confirmed a member drawn but not yet invited, whom the officer cannot confirm, and
    told anyone with their reference that they had been drawn before the council did."""
    from civicforum.recruitment.services import panel_invitations

    forum = pool[0].forum
    draw_panel(forum, officer, "leximin")
    member = PanelMember.objects.filter(forum=forum).select_related("respondent").first()
    reference, email = member.respondent.reference, member.respondent.email
    for accepts in (True, False):
        with pytest.raises(registration.CodeProblem, match="There is no place waiting for a reply"):
            panel_invitations.reply(forum, reference, email, accepts, "9.9.9.9")
    member.refresh_from_db()
    assert member.status == MemberStatus.SELECTED
    invite_and_send(forum, officer, "1 May")
    assert panel_invitations.reply(forum, reference, email, True, "9.9.9.9").status == MemberStatus.CONFIRMED


def test_a_decline_recorded_by_mistake_before_the_invitation_is_undone_even_once_the_record_is_out(
    pool: Any, officer: Any
) -> None:
    """An officer who marked the wrong member as having phoned to say they cannot come lost that member
    from the panel for good. They are now put back, waiting for their invitation, and the log says so;
    the published record keeps the panel its draw chose, so publishing does not stop it."""
    from civicforum.recruitment.services import panel_invitations

    forum = pool[0].forum
    selection.publish(draw_panel(forum, officer), officer)
    member = PanelMember.objects.filter(forum=forum).select_related("respondent").first()
    selection.set_member_status(member, MemberStatus.DECLINED, officer)

    selection.put_back_on_panel(member, officer)
    selection.put_back_on_panel(member, officer)  # pressed twice: nothing more to record

    member.refresh_from_db()
    assert member.status == MemberStatus.SELECTED and member.invited_at is None
    assert selection.places_to_fill(forum) == 0
    assert member in panel_invitations.awaiting_invitation(forum)
    put_back = AuditEvent.objects.filter(action="recruitment.member_put_back", target_id=str(member.pk))
    assert put_back.get().actor == officer


def test_a_decline_is_not_undone_once_the_place_may_be_someone_elses_or_the_member_was_invited(
    pool: Any, officer: Any
) -> None:
    """Each refusal says why, and the member stays declined."""
    forum = pool[0].forum
    draw_panel(forum, officer)
    members = list(PanelMember.objects.filter(forum=forum).select_related("respondent")[:4])
    replaced, while_drawing, invited, withdrew = members
    selection.set_member_status(replaced, MemberStatus.DECLINED, officer)
    run_selection(forum, officer, "legacy", seed="r", replacement=True)
    for member in (while_drawing, invited, withdrew):
        selection.set_member_status(member, MemberStatus.DECLINED, officer)
    PanelMember.objects.filter(pk=invited.pk).update(invited_at=timezone.now())
    registration.withdraw(withdrew.respondent, officer)
    running = SelectionRun.objects.create(forum=forum, panel_size=forum.panel_size, status="running")

    refusals = {
        replaced: "’s place has gone to a replacement, so they cannot be put back on the panel",
        while_drawing: "A selection is being drawn, so .+ cannot be put back on the panel until it has",
        withdrew: " has withdrawn and their personal data was erased, so they cannot be put back",
    }
    for member, why in refusals.items():
        with pytest.raises(selection.DeclineKept, match=why) as refused:
            selection.put_back_on_panel(member, officer)
        assert member.respondent.reference in str(refused.value)
    running.delete()
    with pytest.raises(selection.DeclineKept, match="has been invited, so they are not put back"):
        selection.put_back_on_panel(invited, officer)
    statuses = PanelMember.objects.filter(pk__in=[m.pk for m in members]).values_list("status", flat=True)
    assert set(statuses) == {MemberStatus.DECLINED}
    assert not AuditEvent.objects.filter(action="recruitment.member_put_back").exists()


@pytest.mark.parametrize("algorithm", ["legacy", "leximin"])
def test_a_replacement_draw_never_draws_anyone_who_declined_a_place(
    pool: Any, officer: Any, algorithm: str
) -> None:
    """Members who declined stayed registered, so a replacement draw could draw them again for the very
    places they had turned down (5.7% and 2.0% with the legacy method, 5.0% and 0.85% with leximin). Here
    everyone outside the panel has withdrawn but the two who declined, one online and one recorded by the
    officer, and two volunteers of other households: those two fill the places, by either method."""
    from civicforum.recruitment.services import panel_invitations

    forum = pool[0].forum
    draw_panel(forum, officer)
    mark_invited(forum)
    members = list(PanelMember.objects.filter(forum=forum).select_related("respondent"))
    online, by_officer = (member.respondent for member in members[:2])
    panel_invitations.reply(forum, online.reference, online.email, False, "9.9.9.9")
    selection.set_member_status(members[1], MemberStatus.DECLINED, officer)
    kept = {member.respondent.reference for member in members[2:]}
    households = {member.respondent.invitation_id for member in members}
    others = Respondent.objects.filter(forum=forum).exclude(invitation_id__in=households)
    first = others.first()
    second = others.exclude(invitation_id=first.invitation_id).first()
    volunteers = {first.reference, second.reference}
    everyone_left = kept | volunteers | {online.reference, by_officer.reference}
    Respondent.objects.filter(forum=forum).exclude(reference__in=everyone_left).update(
        status=RespondentStatus.WITHDRAWN
    )
    QuotaCategory.objects.filter(question__forum=forum).update(min_members=None, max_members=None)

    instance = quotas.build_instance(forum, include_members=True)
    assert {person.id for person in instance.people} == kept | volunteers
    assert instance.already_selected == kept
    run = run_selection(forum, officer, algorithm, seed="r", replacement=True)
    assert run.status == "done", run.error
    assert set(run.result["tokens"].values()) == set(run.result["probabilities"]) == kept | volunteers
    drawn = PanelMember.objects.filter(run=run).select_related("respondent")
    assert {member.respondent.reference for member in drawn} == volunteers
    assert {member.replaces_id for member in drawn} == {members[0].pk, members[1].pk}
    assert quotas.members_on_panel(forum) == kept | volunteers
    assert selection.places_to_fill(forum) == 0


def shares_refused(forum: Any, officer: Any, data: bytes) -> list[str]:
    """The problems the population-shares import names for ``data`` (it must refuse it)."""
    with pytest.raises(FileRejected) as rejected:
        quotas.import_shares_csv(forum, officer, data, "shares.csv")
    return [str(problem) for problem in rejected.value.problems]


def test_population_shares_import_is_all_or_nothing(recruiting_forum: Any, officer: Any) -> None:
    from civicforum.recruitment.models import QuotaCategory

    bad = b"question,category,share\ngender,woman,51%\nAge,16 to 29,1.7\nage,aliens,0.1\ngender,Woman,50%\n"
    assert shares_refused(recruiting_forum, officer, bad) == [
        "shares.csv, row 3, column 'share': '1.7' is not a share (use 0.51 or 51%).",
        "shares.csv, row 4, column 'category': no category 'aliens' in question 'age': its categories are "
        "'16 to 29', '30 to 44', '45 to 64' and '65 or over'.",
        "shares.csv, row 5, column 'category': 'Woman' in 'gender' appears twice (first on row 2).",
    ]
    assert (
        str(QuotaCategory.objects.get(question__forum=recruiting_forum, key="woman").population_share)
        == "0.5100"
    )
    good = "question,category,share\nWhat is your gender?,WOMAN,52%\n".encode("utf-8-sig")
    assert quotas.import_shares_csv(recruiting_forum, officer, good, "shares.csv") == 1
    assert (
        str(QuotaCategory.objects.get(question__forum=recruiting_forum, key="woman").population_share)
        == "0.5200"
    )


def test_a_shares_row_naming_no_question_lists_the_questions(recruiting_forum: Any, officer: Any) -> None:
    """It said "no category 'Tall' in question 'Height'", and never what the forum's questions are."""
    data = b"question,category,share\nHeight,Tall,0.5\n"
    assert shares_refused(recruiting_forum, officer, data) == [
        "shares.csv, row 2, column 'question': no question 'Height': the questions are 'What is your "
        "gender?', 'How old are you?', 'What is your ethnic group?', 'Do you have a disability or long-term "
        "health condition?' and 'Ward'."
    ]


def test_a_shares_file_separated_by_semicolons_says_so(recruiting_forum: Any, officer: Any) -> None:
    data = b"question;category;share\ngender;woman;51%\n"
    assert shares_refused(recruiting_forum, officer, data) == [
        "shares.csv, row 1: the file uses semicolons between columns, not commas. In Excel choose "
        "'Save as' > 'CSV UTF-8 (comma delimited)' and upload that file."
    ]


def test_purge_command_deletes_only_expired_forums(pool: Any) -> None:
    from django.core.management import call_command

    forum = pool[0].forum
    call_command("purge_recruitment_data")
    assert Respondent.objects.filter(forum=forum).count() == 150
    forum.recruitment.retention_until = "2000-01-01"
    forum.recruitment.save()
    call_command("purge_recruitment_data")
    assert not Respondent.objects.filter(forum=forum).exists()
    assert AuditEvent.objects.filter(action="recruitment.personal_data_purged", forum=forum).exists()


def test_infeasible_quotas_are_explained_and_the_run_fails_cleanly(pool: Any, officer: Any) -> None:
    from civicforum.recruitment.models import QuotaCategory

    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    QuotaCategory.objects.filter(question__forum=forum, key="16-29").update(min_members=12, max_members=12)
    diagnosis = engine.infeasibility(quotas.build_instance(forum))
    assert diagnosis is not None and diagnosis.startswith("No panel can meet all the quotas.")
    run = run_selection(forum, officer, "leximin")
    assert run.status == "failed" and "No panel" in run.error
    assert not PanelMember.objects.filter(forum=forum).exists()


def test_a_failed_run_names_the_quotas_that_clash_and_the_change_to_make(pool: Any, officer: Any) -> None:
    from civicforum.recruitment.models import QuotaCategory

    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    QuotaCategory.objects.filter(question__forum=forum, key="woman").update(min_members=8, max_members=12)
    QuotaCategory.objects.filter(question__forum=forum, key="man").update(min_members=8, max_members=12)
    run = run_selection(forum, officer, "leximin")
    assert run.status == "failed"
    assert "gender" in run.error and "add up to at least 16" in run.error
    assert "lower the minimum" in run.error


def test_an_engine_crash_marks_the_run_failed(pool: Any, officer: Any, monkeypatch: Any) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise IndexError("engine bug")

    monkeypatch.setattr(engine, "distribution", crash)
    forum = pool[0].forum
    run = run_selection(forum, officer, "leximin")
    assert run.status == "failed" and "stopped unexpectedly (IndexError)" in run.error


def test_same_email_from_another_household_is_flagged(recruiting_forum: Any) -> None:
    first_home, second_home = Invitation.objects.filter(lottery__forum=recruiting_forum)[:2]
    first = registration.register(
        recruiting_forum, first_home, registration.Registration(full_name="Ada King", email="Ada@Example.org")
    )
    second = registration.register(
        recruiting_forum,
        second_home,
        registration.Registration(full_name="Ada Lovelace", email="ada@example.org "),
    )
    other = registration.register(
        recruiting_forum, second_home, registration.Registration(full_name="Byron", email="byron@example.org")
    )
    assert second.possible_duplicate_of == first and other.possible_duplicate_of is None


def test_prefer_not_to_say_gets_an_unlimited_quota(recruiting_forum: Any, officer: Any) -> None:
    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    answers = {"gender": "woman", "age": "16-29", "ethnicity": quotas.PREFER_NOT_TO_SAY, "disability": "no"}
    registration.register(
        recruiting_forum, invitation, registration.Registration(full_name="A", answers=answers)
    )
    instance = quotas.build_instance(recruiting_forum)
    assert instance.people[0].features["ethnicity"] == quotas.PREFER_NOT_TO_SAY
    unlimited = [q for q in instance.quotas if q.value == quotas.PREFER_NOT_TO_SAY]
    assert [(q.feature, q.min, q.max) for q in unlimited] == [("ethnicity", 0, 12)]


def test_a_new_draw_replaces_an_untold_panel_but_not_an_invited_one(pool: Any, officer: Any) -> None:
    from civicforum.recruitment.services import panel_invitations

    forum = pool[0].forum
    quotas.propose_quotas(forum, officer, slack=2)
    for seed in ("first", "second"):
        run_selection(forum, officer, "legacy", seed=seed)
    assert PanelMember.objects.filter(forum=forum).count() == 12
    assert set(PanelMember.objects.values_list("run__seed", flat=True)) == {"second"}
    panel_invitations.invite_selected(forum, officer, "https://example.org/reply", "1 May")
    assert selection.full_selection_blocker(forum) is not None
    third = run_selection(forum, officer, "legacy", seed="third")
    assert third.status == "failed" and "Draw replacements" in third.error
    assert PanelMember.objects.filter(forum=forum).count() == 12


def test_runs_that_stop_reporting_are_flagged(recruiting_forum: Any, officer: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    close_registration(recruiting_forum)
    run = selection.start_run(recruiting_forum, officer, "leximin")
    now = timezone.now()
    assert not run.looks_stuck(now)
    assert run.looks_stuck(now + timedelta(minutes=6))  # queued, no worker picked it up
    run.status = "running"
    assert not run.looks_stuck(now + timedelta(minutes=6))
    assert run.looks_stuck(now + timedelta(minutes=31))
    run.status = "done"
    assert not run.looks_stuck(now + timedelta(days=1))


def test_rotating_the_key_keeps_data_readable(recruiting_forum: Any, settings: Any) -> None:
    from django.core.management import call_command

    invitation = Invitation.objects.filter(lottery__forum=recruiting_forum).first()
    settings.FIELD_ENCRYPTION_KEYS = ["old key"]
    respondent = registration.register(
        recruiting_forum, invitation, registration.Registration(full_name="Ada")
    )
    settings.FIELD_ENCRYPTION_KEYS = ["new key", "old key"]
    call_command("rotate_field_encryption")
    settings.FIELD_ENCRYPTION_KEYS = ["new key"]
    assert Respondent.objects.get(pk=respondent.pk).full_name == "Ada"


def test_response_rate_by_ward_counts_people_per_hundred_letters(pool: Any) -> None:
    forum = pool[0].forum
    stats = privacy.aggregates(forum)
    rows = privacy.response_by_ward(forum, stats["by_ward"])
    assert [(ward, letters) for ward, _people, letters, _rate in rows] == [
        ("North Ward", 100),
        ("South Ward", 100),
    ]
    assert sum(people for _ward, people, _letters, _rate in rows) == 150
    assert all(rate == people for _ward, people, _letters, rate in rows)  # 100 letters each


def test_a_run_that_reaches_the_time_limit_keeps_a_valid_panel_and_says_it_is_not_proven(
    pool: Any, officer: Any, settings: Any
) -> None:
    settings.SELECTION_TIME_LIMIT = 1e-9
    forum = pool[0].forum
    run = draw_panel(forum, officer, "leximin")
    assert run.status == "done", run.error
    assert run.members.count() == 12
    assert run.result["proven_optimal"] is False
    assert "not proven" in run.message


class UnreachableMailServer(BaseEmailBackend):
    """A mail backend whose server refuses every connection, as a misconfigured EMAIL_HOST does."""

    def send_messages(self, email_messages: Any) -> int:
        raise ConnectionRefusedError("Connection refused")


def test_invitations_survive_a_failing_mail_server(pool: Any, officer: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableMailServer"
    forum = pool[0].forum
    draw_panel(forum, officer, "leximin")
    batch = invite_and_send(forum, officer)
    assert email_counts(batch) == {"failed": 12}
    assert Path(batch.letters).read_bytes().count(b"/Type /Page ") == 12
    assert not PanelMember.objects.filter(forum=forum, invited_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="recruitment.panel_invitations_sent", forum=forum)
    assert event.details["email_failed"] == 12


class MailServerCountingSessions(BaseEmailBackend):
    """Counts sessions (each one a connection, TLS and sign-in with the council's relay) as Django's SMTP
    backend opens them: open() starts one that lasts until close(); sending without one opens and closes
    one for that send."""

    sessions = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_session = False

    def open(self) -> bool:
        if self.in_session:
            return False
        MailServerCountingSessions.sessions += 1
        self.in_session = True
        return True

    def close(self) -> None:
        self.in_session = False

    def send_messages(self, email_messages: Any) -> int:
        if self.open():
            self.close()
        return len(email_messages)


def test_the_invitation_emails_go_in_one_session_with_the_mail_server(
    pool: Any, officer: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.MailServerCountingSessions"
    MailServerCountingSessions.sessions = 0
    forum = pool[0].forum
    draw_panel(forum, officer, "leximin")
    batch = invite_and_send(forum, officer)
    assert email_counts(batch) == {"sent": 12} and MailServerCountingSessions.sessions == 1


class MailServerRefusingRecipients(BaseEmailBackend):
    """A mail server that refuses the addresses: smtplib's exception carries each address refused."""

    def send_messages(self, email_messages: Any) -> int:
        import smtplib

        refused = {address: (550, b"5.1.1 No such user") for m in email_messages for address in m.to}
        raise smtplib.SMTPRecipientsRefused(refused)


def test_a_refused_email_address_is_not_written_to_the_log(
    pool: Any, officer: Any, settings: Any, caplog: Any
) -> None:
    import logging

    from civicforum.core.logging import KeyValueFormatter
    from civicforum.recruitment.services import mail

    settings.EMAIL_BACKEND = f"{__name__}.MailServerRefusingRecipients"
    forum = pool[0].forum
    draw_panel(forum, officer, "leximin")
    logger = logging.getLogger(mail.__name__)
    logger.addHandler(caplog.handler)  # the 'civicforum' logger does not propagate to caplog's
    try:
        batch = invite_and_send(forum, officer)
    finally:
        logger.removeHandler(caplog.handler)
    assert email_counts(batch) == {"failed": 12}
    logged = "\n".join(KeyValueFormatter().format(record) for record in caplog.records)
    assert "Could not email panel member R-" in logged
    assert "SMTPRecipientsRefused" in logged
    assert not [r.email for r in Respondent.objects.filter(forum=forum) if r.email and r.email in logged]


def test_a_line_break_in_the_forum_title_does_not_stop_the_invitation_emails(
    pool: Any, officer: Any, mailoutbox: Any
) -> None:
    forum = pool[0].forum
    forum.title = "Town forum\r\nBcc: someone@example.org"
    forum.save()
    draw_panel(forum, officer, "leximin")
    batch = invite_and_send(forum, officer)
    assert email_counts(batch) == {"sent": 12}
    assert {m.subject for m in mailoutbox} == {"You have been chosen for Town forum Bcc: someone@example.org"}
    assert not any(m.bcc or "Bcc" in m.message() for m in mailoutbox)


def published_run(forum: Any, officer: Any) -> SelectionRun:
    """Quotas proposed from the shares, a run drawn and its record published."""
    run = draw_panel(forum, officer, "leximin", seed="public-seed")
    selection.publish(run, officer)
    return run


def test_the_published_panel_composition_survives_the_purge(pool: Any, officer: Any) -> None:
    forum = pool[0].forum
    published_run(forum, officer)
    before = selection.public_record(forum)
    assert before is not None and sum(
        int(row["count"]) for row in before["composition"] if row["count"].isdigit()
    )
    forum.recruitment.retention_until = "2000-01-01"
    forum.recruitment.save()
    assert privacy.purge_expired() == 150
    assert privacy.purge_expired() == 0  # twice is safe
    after = selection.public_record(forum)
    assert after is not None and after["composition"] == before["composition"]
    forum.recruitment.refresh_from_db()
    assert (
        selection.panel_against_targets(forum) == forum.recruitment.retained_aggregates["panel_composition"]
    )


def test_the_purge_leaves_nothing_that_links_the_published_draw_or_the_letters_to_anyone(
    pool: Any, officer: Any, tmp_path: Path
) -> None:
    import json

    forum = pool[0].forum
    run = published_run(forum, officer)
    references = {r.reference for r in pool}
    probabilities = sorted(run.result["probabilities"].values())
    privacy.purge_forum(forum, officer)
    run.refresh_from_db()
    assert "tokens" not in run.result and not references & set(json.dumps(run.result).split('"'))
    assert sorted(run.result["probabilities"].values()) == probabilities  # by opaque id now
    assert_anyone_can_verify(run, references, tmp_path)
    # Addresses and the households invited, with their codes' hashes, are gone; the letters sent per
    # ward (for response rates) and the registrations per ward stay.
    assert not Invitation.objects.filter(lottery__forum=forum).exists()
    assert not Address.objects.filter(address_list__forum=forum).exists()
    assert forum.lotteries.get().letters_per_ward == {"North Ward": 100, "South Ward": 100}
    forum.recruitment.refresh_from_db()
    assert sum(forum.recruitment.retained_aggregates["by_ward"].values()) == 150
    assert not forum.recruitment.registration_open


def test_after_the_purge_the_audit_log_keeps_what_staff_did_and_when_but_names_no_resident(
    pool: Any, officer: Any
) -> None:
    import json

    from civicforum.recruitment.services import panel_invitations

    forum = pool[0].forum
    unused = Invitation.objects.filter(lottery__forum=forum, respondents__isnull=True)
    first, second = unused.order_by("pk")[:2]
    open_registration(forum)
    online = registration.register(
        forum, first, registration.Registration("Ada Lovelace", "ada@example.org", "07700 900123")
    )
    by_phone = registration.register(
        forum, second, registration.Registration("Alan Turing", phone="01632 960001"), officer
    )
    identifying = {
        text
        for r in Respondent.objects.filter(forum=forum)
        for text in (r.reference, r.full_name, r.email, r.phone)
        if text
    } | {
        text
        for i in Invitation.objects.filter(lottery__forum=forum).select_related("address")
        for text in (i.reference, *i.address.lines())
    }
    registration.withdraw(online, officer)
    close_registration(forum)
    published_run(forum, officer)
    mark_invited(forum)
    confirmed, replied = PanelMember.objects.filter(forum=forum).select_related("respondent")[:2]
    selection.set_member_status(confirmed, MemberStatus.CONFIRMED, officer)
    # The draw may pick the resident registered by phone, who gave no email: they reply with their phone.
    contact = replied.respondent.email or replied.respondent.phone
    panel_invitations.reply(forum, replied.respondent.reference, contact, False, "1.2.3.4")
    privacy.log_personal_data_access(officer, forum, "respondent list", 151)
    facts = ("pk", "actor", "action", "created_at")
    before = list(AuditEvent.objects.filter(forum=forum).values_list(*facts))
    labels = set(AuditEvent.objects.filter(forum=forum).values_list("target_label", flat=True))
    assert {by_phone.reference, f"{confirmed.respondent.reference}: Confirmed"} <= labels

    privacy.purge_forum(forum, officer)
    events = AuditEvent.objects.filter(forum=forum)
    kept = list(events.exclude(action="recruitment.personal_data_purged").values_list(*facts))
    assert kept == before  # every event stays: who on staff did what, and when
    logged = json.dumps(list(events.values("actor_label", "target_label", "details")))
    assert not [text for text in identifying if text in logged]
    about_people = events.filter(target_type__in=["recruitment.respondent", "recruitment.panelmember"])
    assert set(about_people.values_list("target_id", "target_label")) == {
        ("", "A registration, deleted under the retention schedule"),
        ("", "A panel member, whose details were deleted under the retention schedule"),
    }
    phone_event = events.get(action="recruitment.registered_by_phone")
    assert phone_event.actor == officer
    assert phone_event.target_label == "A registration, deleted under the retention schedule"
    assert events.filter(action="recruitment.member_declined", actor=None).count() == 1


def test_after_the_purge_the_audit_log_no_longer_names_residents_accounts_but_still_names_staff(
    pool: Any, officer: Any
) -> None:
    """Panel members' and participants' accounts are named by their email addresses: the purge takes
    those out of the trail and their roles off the forum, as it does their registrations, while staff
    stay answerable by name."""
    import json

    from tests.factories import make_user

    from civicforum.core import audit
    from civicforum.core.models import ForumRole, Role
    from civicforum.processes import services as processes

    forum = pool[0].forum
    member, _link = processes.create_account_with_role(
        officer, forum, "Ada", "Lovelace", "ada.lovelace@example.org", Role.PANEL_MEMBER
    )
    processes.issue_set_password_link(officer, forum, member)
    participant = make_user("alan.turing@example.org")
    processes.remove_role(officer, processes.assign_role(officer, forum, participant, Role.PARTICIPANT))
    audit.record(member, "forum.viewed_materials", forum=forum)  # anything a resident's account does
    evaluator = make_user("eve.evaluator@council.example")
    processes.assign_role(officer, forum, evaluator, Role.EVALUATOR)
    facts = ("pk", "action", "created_at")
    before = list(AuditEvent.objects.filter(forum=forum).values_list(*facts))

    privacy.purge_forum(forum, officer)
    events = AuditEvent.objects.filter(forum=forum)
    assert list(events.exclude(action="recruitment.personal_data_purged").values_list(*facts)) == before
    logged = json.dumps(list(events.values("actor_label", "target_id", "target_label", "details")))
    for resident in ("ada.lovelace@example.org", "alan.turing@example.org", "Ada", "Lovelace"):
        assert resident not in logged
    assert f'"{member.pk}"' not in logged and f'"{participant.pk}"' not in logged
    assert not events.filter(actor=member).exists()
    resident = "A resident, whose details were deleted under the retention schedule"
    assert events.get(action="forum.viewed_materials").actor_label == resident
    assert events.get(action="account.created").target_label == resident
    # Staff stay named: who gave which role to whom, and who did it.
    granted = events.get(action="role.granted", details__role=Role.EVALUATOR)
    assert granted.details["user"] == "eve.evaluator@council.example" and granted.actor == officer
    assert set(events.exclude(actor=None).values_list("actor_label", flat=True)) >= {officer.username}
    assert ForumRole.objects.filter(user=evaluator, forum=forum).exists()
    # Nor does the forum's list of people say who was on the panel; the account stays, for other forums.
    assert not ForumRole.objects.filter(forum=forum, role__in=[Role.PANEL_MEMBER, Role.PARTICIPANT]).exists()
    assert events.get(action="recruitment.personal_data_purged").details["resident_roles"] == 1
    member.refresh_from_db()


def test_the_purge_erases_residents_accounts_that_no_longer_serve_any_forum(pool: Any, officer: Any) -> None:
    """A panel member with no role left anywhere keeps no name, email address or way to sign in; one who
    still takes part in another forum, or administers a council, keeps their account as it was. The other
    forum's log names the erased resident until that forum's own purge, which still finds them."""
    import json

    from django.contrib.auth import get_user_model
    from tests.factories import PASSWORD, make_forum, make_user

    from civicforum.core.roles import make_council_admin
    from civicforum.processes import services as processes

    forum = pool[0].forum
    other = make_forum(forum.council)
    other_officer = make_user("olive.officer@council.example")
    processes.assign_role(officer, other, other_officer, "officer")
    finished, _link = processes.create_account_with_role(
        officer, forum, "Ada", "Lovelace", "ada.lovelace@example.org", "panel_member"
    )
    finished.set_password(PASSWORD)
    finished.save()
    processes.issue_set_password_link(other_officer, other, finished)
    processes.remove_role(other_officer, processes.assign_role(other_officer, other, finished, "participant"))
    still_taking_part = make_user("alan.turing@example.org", first_name="Alan", last_name="Turing")
    processes.assign_role(officer, forum, still_taking_part, "panel_member")
    processes.assign_role(other_officer, other, still_taking_part, "participant")
    administrator = make_user("cath.admin@example.org", first_name="Cath", last_name="Admin")
    processes.assign_role(officer, forum, administrator, "participant")
    make_council_admin(administrator, forum.council)

    privacy.purge_forum(forum, officer)
    finished.refresh_from_db()
    assert (finished.username, finished.first_name, finished.last_name, finished.email) == (
        f"erased account {finished.pk}",
        "",
        "",
        "",
    )
    assert not finished.is_active and not finished.has_usable_password()
    assert not finished.check_password(PASSWORD)
    assert get_user_model().objects.get(pk=still_taking_part.pk).get_full_name() == "Alan Turing"
    assert get_user_model().objects.get(pk=administrator.pk).is_active
    purged = AuditEvent.objects.get(forum=forum, action="recruitment.personal_data_purged")
    assert purged.details["accounts_erased"] == 1 and purged.details["resident_roles"] == 3
    # The person may be given a new account with the same address for a later forum.
    assert processes.new_account_email_problem("ada.lovelace@example.org") == ""

    privacy.purge_forum(other, other_officer)
    logged = json.dumps(
        list(AuditEvent.objects.values("actor_label", "target_id", "target_label", "details"))
    )
    assert "ada.lovelace@example.org" not in logged and "alan.turing@example.org" not in logged
    assert "olive.officer@council.example" in logged


def test_after_the_purge_an_address_list_says_its_addresses_were_deleted(
    recruiting_forum: Any, officer: Any
) -> None:
    address_list = recruiting_forum.address_lists.get()
    assert str(address_list) == "addresses.csv (400 addresses)"
    privacy.purge_forum(recruiting_forum, officer)
    deleted_on = f"{timezone.localdate():%-d %B %Y}"
    assert str(address_list) == (
        f"addresses.csv (400 addresses deleted on {deleted_on} under the retention schedule)"
    )


@pytest.mark.django_db
def test_the_daily_purge_deletes_expired_sessions_with_half_finished_registrations() -> None:
    """Abandoned registrations keep their answers in the session table until the session is deleted."""
    store = SessionStore()
    answers = store.encode({"registration": {"full_name": "Ann Abandoned"}})
    now = timezone.now()
    Session.objects.create(session_key="a" * 32, session_data=answers, expire_date=now - timedelta(hours=1))
    kept = Session.objects.create(
        session_key="b" * 32, session_data=answers, expire_date=now + timedelta(hours=1)
    )
    privacy.purge_expired()
    assert list(Session.objects.all()) == [kept]


def test_the_purge_takes_the_forums_half_finished_registrations_out_of_live_sessions(
    recruiting_forum: Any, officer: Any, client: Any
) -> None:
    """A registration left half-way keeps its answers in the browser's session for up to two weeks: the
    forum's purge takes them out, and leaves the rest of the session (another forum's registration, an
    officer's sign-in) as it was."""
    from tests.factories import make_forum

    other = make_forum(recruiting_forum.council)
    register = "recruitment:register_start"
    client.get(reverse(register, kwargs={"forum_slug": recruiting_forum.slug}), {"code": "ABCD-EFGH-JKLM"})
    client.get(reverse(register, kwargs={"forum_slug": other.slug}), {"code": "MNPQ-RSTV-WXYZ"})
    client.force_login(officer)
    untouched = SessionStore()
    untouched["something"] = "else"
    untouched.create()

    privacy.purge_forum(recruiting_forum, officer)
    kept = SessionStore(client.session.session_key).load()
    assert registration.session_key(recruiting_forum) not in kept
    assert registration.session_key(other) in kept and "_auth_user_id" in kept
    assert SessionStore(untouched.session_key).load() == {"something": "else"}
    purged = AuditEvent.objects.get(action="recruitment.personal_data_purged")
    assert purged.details["registrations_in_progress"] == 1


def test_the_invitation_email_says_what_the_reply_page_asks_for_and_the_number_to_call(
    pool: Any, officer: Any, mailoutbox: Any
) -> None:
    forum = pool[0].forum
    RecruitmentSettings.objects.filter(forum=forum).update(phone="01632 960 000")
    draw_panel(forum, officer, "leximin")
    invite_and_send(forum, officer)
    body = mailoutbox[0].body
    assert "To reply, go to https://example.org/reply. You will need your reference, R-" in body
    assert "and the email address or phone number you gave when you registered." in body
    assert "\n\nIf you have a question, or would rather reply by phone, call 01632 960 000.\n\n" in body


@pytest.mark.parametrize(("adults", "said"), [(1, "Up to 1 person"), (3, "Up to 3 people")])
def test_the_letter_says_how_many_people_of_the_household_its_code_registers(
    forum: Any, officer: Any, adults: int, said: str
) -> None:
    """The default letter said 'Anyone aged 16 or over who lives at this address can register', though the
    code registers only the adults set when it was drawn: the next adult of the household was refused."""
    address_list = civic_lottery.import_addresses(forum, officer, address_csv(20), "addresses.csv")
    lottery = civic_lottery.draw_lottery(forum, officer, address_list, 5, adults_per_household=adults)
    design = civic_lottery.letter_design(lottery, "https://example.org/register")
    body = design.fill(design.body)
    assert f"{said} aged 16 or over living at this address can register." in body
    assert "Anyone" not in body


@pytest.mark.parametrize(("drawn", "said"), [(5, "5"), (1200, "1,200")])
def test_the_letter_says_how_many_households_the_draw_wrote_to(
    forum: Any, officer: Any, drawn: int, said: str
) -> None:
    """The default letter said 'Your household is one of a few thousand' whatever the number drawn: the
    residents of a draw of 100 were told something untrue."""
    address_list = civic_lottery.import_addresses(forum, officer, address_csv(drawn), "addresses.csv")
    lottery = civic_lottery.draw_lottery(forum, officer, address_list, drawn)
    design = civic_lottery.letter_design(lottery, "https://example.org/register")
    body = design.fill(design.body)
    assert f"Your household is one of {said} picked at random from every address in the area." in body
    assert "thousand" not in body


def test_times_in_the_officers_files_and_counts_are_the_councils_not_utc(pool: Any) -> None:
    """A registration at 00:30 on Monday 3 August (British Summer Time) is 23:30 on Sunday in UTC: the
    contacts spreadsheet showed 23:30 and the weekly counts put it in the week before. A batch of panel
    invitations was named, in the audit log, by its UTC time."""
    from datetime import UTC, datetime

    from civicforum.recruitment.models import InvitationBatch
    from civicforum.recruitment.services import export

    forum = pool[0].forum
    sunday_night_utc = datetime(2026, 8, 2, 23, 30, tzinfo=UTC)
    Respondent.objects.filter(forum=forum).update(registered_at=sunday_night_utc)
    assert privacy.aggregates(forum)["by_week"] == {"2026-W32": len(pool)}  # the week of Monday 3 August
    assert f"{pool[0].reference},registered,2026-08-03T00:30+01:00," in export.contacts_csv(forum)[0]
    batch = InvitationBatch(forum=forum, created_at=sunday_night_utc)
    assert str(batch) == "Invitations of 2026-08-03 00:30"


def test_letters_queued_before_an_address_was_found_too_long_change_no_code_and_keep_the_last_files(
    recruiting_forum: Any,
) -> None:
    """The background task checks the stored addresses too (the letters page may have been passed by a
    task already queued): it fails naming the letter, before any code changes, so the last files it
    wrote still hold working codes."""
    from tests.recruitment.test_views import OLD_LONG_LINE, _stored_before_the_importer_refused

    lottery = recruiting_forum.lotteries.get()
    civic_lottery.generate_letters(
        lottery.pk, "https://example.org/r", civic_lottery.request_letters(lottery, None)
    )
    lottery.refresh_from_db()
    files = {path: Path(path).read_bytes() for path in (lottery.letters_pdf, lottery.mailing_csv)}
    codes = sorted(lottery.invitations.values_list("code_hash", flat=True))
    [invitation] = _stored_before_the_importer_refused(lottery, 1)

    civic_lottery.generate_letters(
        lottery.pk, "https://example.org/r", civic_lottery.request_letters(lottery, None)
    )
    lottery.refresh_from_db()
    assert lottery.letters_status == "failed"
    assert lottery.letters_error.startswith("1 address line of this draw is too long for one line of")
    assert lottery.letters_error.endswith(
        f"Letter {invitation.reference} (UPRN {invitation.address.uprn}): address_line_2 is too long for "
        f"one line of the letters' envelope window ({len(OLD_LONG_LINE)} characters, where about 81 fit)."
    )
    assert sorted(lottery.invitations.values_list("code_hash", flat=True)) == codes
    assert {path: Path(path).read_bytes() for path in files} == files
