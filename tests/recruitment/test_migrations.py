"""Data migrations, run forwards on rows made with the models as they were before."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import import_module
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("recruitment", "0007_run_published_composition")]
AFTER = [("recruitment", "0008_withdrawn_keep_no_registration_time")]


@pytest.mark.django_db(transaction=True)
def test_registrations_withdrawn_before_the_upgrade_lose_their_ward_and_registration_time() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    council = apps.get_model("processes", "Council").objects.create(name="Northam", slug="northam")
    forum = apps.get_model("processes", "Forum").objects.create(
        council=council,
        slug="f",
        title="F",
        question="Q?",
        area="A",
        starts_on=datetime(2026, 1, 1).date(),
        ends_on=datetime(2026, 12, 1).date(),
        panel_size=40,
    )
    respondents = apps.get_model("recruitment", "Respondent").objects
    when = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    withdrawn = respondents.create(
        forum=forum, reference="R-AAAAAAAA", status="withdrawn", ward="North Ward", registered_at=when
    )
    staying = respondents.create(
        forum=forum,
        reference="R-BBBBBBBB",
        ward="North Ward",
        registered_at=when,
        possible_duplicate_of=withdrawn,
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    respondents = executor.loader.project_state(AFTER).apps.get_model("recruitment", "Respondent").objects
    assert respondents.filter(pk=withdrawn.pk).values_list("ward", "registered_at").get() == ("", None)
    assert respondents.filter(pk=staying.pk).values_list(
        "ward", "registered_at", "possible_duplicate_of"
    ).get() == (
        "North Ward",
        when,
        None,
    )
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_questions_the_old_keyword_guess_treated_as_special_are_marked_special_by_the_upgrade(
    forum: Any,
) -> None:
    """Before the flag, the wording decided (label, hint and key): every question it marked keeps its
    protection as the flag. Others stay unmarked, for the officer to mark."""
    from django.apps import apps as current_apps

    from civicforum.recruitment.models import QuotaQuestion

    upgrade = import_module("civicforum.recruitment.migrations.0012_quota_question_special_category")
    wordings = {
        "ethnicity": ("What is your ethnic group?", "", False),
        "disability": ("Do you need support?", "For example for a disability", False),
        "religion-or-belief": ("Which of these describes you?", "", False),
        "age": ("How old are you?", "", False),
        "describes-you": ("Which of these best describes you?", "", False),
        "ward": ("Health Park ward", "", True),  # answered from the address, never asked
    }
    for key, (label, hint, from_address) in wordings.items():
        QuotaQuestion.objects.create(forum=forum, key=key, label=label, hint=hint, from_address=from_address)

    upgrade.flag_questions_the_wording_marked(current_apps, None)

    marked = QuotaQuestion.objects.filter(forum=forum, special_category=True)
    assert sorted(marked.values_list("key", flat=True)) == ["disability", "ethnicity", "religion-or-belief"]


@pytest.mark.django_db
def test_questions_marked_special_before_the_upgrade_offer_prefer_not_to_say_after_it(forum: Any) -> None:
    from django.apps import apps as current_apps

    from civicforum.recruitment.models import QuotaQuestion

    upgrade = import_module(
        "civicforum.recruitment.migrations.0015_special_category_questions_offer_prefer_not_to_say"
    )
    QuotaQuestion.objects.create(
        forum=forum,
        key="ethnicity",
        label="Ethnic group",
        special_category=True,
        allow_prefer_not_to_say=False,
    )
    QuotaQuestion.objects.create(forum=forum, key="age", label="Age", allow_prefer_not_to_say=False)

    upgrade.offer_prefer_not_to_say(current_apps, None)

    offering = QuotaQuestion.objects.filter(forum=forum, allow_prefer_not_to_say=True)
    assert list(offering.values_list("key", flat=True)) == ["ethnicity"]


@pytest.mark.django_db
def test_support_needs_given_when_registering_stay_only_with_members_taking_part(
    pool: Any, officer: Any
) -> None:
    """Registration asked everyone; nothing shows the support needs of anyone but members selected or
    confirmed, so the rest of the pool's (often health data) is deleted on upgrading."""
    from django.apps import apps as current_apps
    from tests.recruitment.conftest import draw_panel

    from civicforum.recruitment.models import MemberStatus, PanelMember, Respondent

    upgrade = import_module("civicforum.recruitment.migrations.0017_support_needs_kept_only_for_members")
    forum = pool[0].forum
    draw_panel(forum, officer)
    selected, confirmed, declined = PanelMember.objects.filter(forum=forum).order_by("id")[:3]
    PanelMember.objects.filter(pk=confirmed.pk).update(status=MemberStatus.CONFIRMED)
    PanelMember.objects.filter(pk=declined.pk).update(status=MemberStatus.DECLINED)
    Respondent.objects.filter(forum=forum).update(access_needs="Large print")

    upgrade.forget_support_needs_of_non_members(current_apps, None)

    kept = {r.pk for r in Respondent.objects.filter(forum=forum) if r.access_needs}
    taking_part = PanelMember.objects.filter(forum=forum).exclude(status=MemberStatus.DECLINED)
    assert kept == set(taking_part.values_list("respondent_id", flat=True))
    assert {selected.respondent_id, confirmed.respondent_id} <= kept and declined.respondent_id not in kept
    assert len(kept) < Respondent.objects.filter(forum=forum).count() - 100  # the pool's are gone


@pytest.mark.django_db
def test_draws_whose_letter_says_a_few_thousand_households_say_how_many_after_the_upgrade(
    forum: Any, officer: Any
) -> None:
    """The default letter's 'one of a few thousand' is kept with a draw once its text is saved: the upgrade
    replaces exactly that sentence with $households and leaves text the officer wrote alone."""
    from django.apps import apps as current_apps
    from tests.recruitment.conftest import address_csv

    from civicforum.recruitment.models import Lottery
    from civicforum.recruitment.services import civic_lottery

    upgrade = import_module(
        "civicforum.recruitment.migrations.0018_letters_say_how_many_households_were_drawn"
    )
    address_list = civic_lottery.import_addresses(forum, officer, address_csv(20), "addresses.csv")
    old_default = f"Dear resident,\r\n\r\nWe are asking. {upgrade.OLD}\r\n\r\nPlease register."
    own_words = "Dear resident,\r\n\r\nYour household is one of a few thousand, more or less."
    saved = Lottery.objects.create(
        forum=forum, address_list=address_list, letters_requested=5, seed="a", letter_body=old_default
    )
    rewritten = Lottery.objects.create(
        forum=forum, address_list=address_list, letters_requested=5, seed="b", letter_body=own_words
    )

    upgrade.state_the_households_drawn(current_apps, None)

    saved.refresh_from_db()
    rewritten.refresh_from_db()
    assert saved.letter_body == old_default.replace(
        "one of a few thousand picked", "one of $households picked"
    )
    assert rewritten.letter_body == own_words
    design = civic_lottery.letter_design(saved, "https://example.org/register")
    assert "Your household is one of 5 picked at random" in design.fill(design.body)


@pytest.mark.django_db
def test_forums_whose_data_was_deleted_have_registration_closed_after_the_upgrade(forum: Any) -> None:
    """A forum purged before the purge closed registration kept it ticked; a forum not purged keeps its
    registration open."""
    from django.apps import apps as current_apps
    from django.utils import timezone
    from tests.factories import make_forum

    from civicforum.recruitment.models import RecruitmentSettings

    upgrade = import_module("civicforum.recruitment.migrations.0019_registration_closed_once_data_deleted")
    purged = RecruitmentSettings.objects.create(forum=forum, registration_open=True, purged_at=timezone.now())
    recruiting = RecruitmentSettings.objects.create(forum=make_forum(), registration_open=True)

    upgrade.close_registration_where_data_deleted(current_apps, None)

    purged.refresh_from_db()
    recruiting.refresh_from_db()
    assert not purged.registration_open and recruiting.registration_open


@pytest.mark.django_db
def test_names_and_emails_saved_with_bidirectional_overrides_read_as_typed_after_the_upgrade(
    recruiting_forum: Any,
) -> None:
    """Before the registration form dropped them, a name pasted with a right-to-left override showed
    reversed on the officers' lists ('\u202eTom Smith' reads 'htimS moT'): the upgrade cleans what was saved
    as the form now does, and the hashes that find the same person registering twice match the clean
    name and address."""
    from django.apps import apps as current_apps

    from civicforum.recruitment.models import Respondent
    from civicforum.recruitment.services import registration

    upgrade = import_module(
        "civicforum.recruitment.migrations.0020_names_and_emails_without_control_characters"
    )
    first, second = recruiting_forum.lotteries.get().invitations.select_related("address")[:2]
    pasted = registration.register(
        recruiting_forum,
        first,
        registration.Registration("\u202eTom\tSmith\u2066\x07 ", email="tom@exa\u202emple.org"),
    )
    typed = registration.register(
        recruiting_forum, second, registration.Registration("Aisha \u200fKhan", email="aisha@example.org")
    )
    typed_hashes = Respondent.objects.values_list("identity_hash", "email_hash").get(pk=typed.pk)

    upgrade.clean_names_and_emails(current_apps, None)

    pasted.refresh_from_db()
    assert (pasted.full_name, pasted.email) == ("Tom Smith", "tom@example.org")
    assert pasted.identity_hash == registration.identity_hash("Tom Smith", first.address.uprn)
    assert pasted.email_hash == registration.email_hash("tom@example.org")
    typed.refresh_from_db()  # a right-to-left mark is kept: right-to-left names need it
    assert (typed.full_name, typed.email) == ("Aisha \u200fKhan", "aisha@example.org")
    assert (typed.identity_hash, typed.email_hash) == typed_hashes


@pytest.mark.django_db
def test_runs_unfinished_at_the_upgrade_forget_the_seed_picked_before_their_lottery(
    forum: Any, officer: Any
) -> None:
    """Before commit-first draws a run picked its seed when it started: one still queued or running at
    the upgrade now stops at its lottery and waits for a code entered after it, so that seed is dropped.
    Finished and failed runs keep theirs: their record shows the draw made with it."""
    from django.apps import apps as current_apps

    from civicforum.recruitment.models import RunStatus, SelectionRun

    upgrade = import_module("civicforum.recruitment.migrations.0021_commit_first_draws")
    runs = {
        status: SelectionRun.objects.create(forum=forum, panel_size=12, status=status, seed=f"{status}-seed")
        for status in (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.DONE, RunStatus.FAILED)
    }

    upgrade.forget_seeds_chosen_before_the_lottery(current_apps, None)

    seeds = {status: SelectionRun.objects.get(pk=run.pk).seed for status, run in runs.items()}
    assert seeds == {
        RunStatus.QUEUED: "",
        RunStatus.RUNNING: "",
        RunStatus.DONE: "done-seed",
        RunStatus.FAILED: "failed-seed",
    }
