"""``civicforum demo``: the demo a newcomer sees, created once, safe to run again."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from civicforum.core import demo
from civicforum.processes.models import Forum

pytestmark = pytest.mark.django_db


def test_demo_is_complete_and_idempotent(client: Any, settings: Any) -> None:
    settings.DEBUG = True
    out = StringIO()
    call_command("demo", stdout=out)
    call_command("demo", stdout=out)
    assert Forum.objects.count() == 3
    forum = Forum.objects.get(slug=demo.MAIN_FORUM_SLUG)
    assert forum.council.name == "Northam Borough Council"
    assert forum.question == "How should we shape the future of our town centres?"
    assert forum.stages.count() == 7 and not forum.stages.filter(summary="").exists()
    assert forum.audit_events.filter(action="forum.created").count() == 1
    assert f"username 'officer', password '{demo.DEMO_PASSWORD}'" in out.getvalue()
    # Counts read as GOV.UK writes them; the panel member and participant are users, not staff.
    assert "Recruitment: 9,000 addresses, 6,000 letters, 1,200 volunteers," in out.getvalue()
    assert "Demo ready: 3 forums, 7 users." in out.getvalue()
    assert client.login(username="officer", password=demo.DEMO_PASSWORD)
    assert client.get("/staff/").status_code == 200
    home = client.get("/").content.decode()
    assert all(f.title in home for f in Forum.objects.all())
    # The published draw a newcomer opens uses the method the selection page recommends.
    from civicforum.recruitment.models import SelectionRun

    published = SelectionRun.objects.get(forum=forum, is_replacement=False, published_at__isnull=False)
    assert published.algorithm == "leximin"
    # Both of its steps: the lottery's fingerprint was recorded before the draw code was entered.
    assert published.committed_at < published.finished_at and published.seed_source
    replacements = SelectionRun.objects.get(forum=forum, is_replacement=True)
    assert replacements.status == "done" and replacements.committed_at < replacements.finished_at
    _demo_words_match_its_data(forum)


def _demo_words_match_its_data(forum: Forum) -> None:
    """The Selection stage named a question about visiting the town centre that nobody is asked, the
    Deliberation stage six sessions where registrants are offered four dates, and volunteers registered
    until 30 November, after the Recruitment stage (and registration) ended on 6 November."""
    import re

    from civicforum.processes.models import StageKind
    from civicforum.recruitment.models import RecruitmentSettings, Respondent

    stages = {stage.kind: stage for stage in forum.stages.all()}
    reflects = re.search(r"reflects Northam by (.*)\.$", stages[StageKind.SELECTION].summary)
    assert reflects, stages[StageKind.SELECTION].summary
    named = set(re.split(r", | and ", reflects.group(1)))
    assert named == {question.key for question in forum.quota_questions.all()}
    sessions = RecruitmentSettings.objects.get(forum=forum).sessions()
    words = {4: "Four", 5: "Five", 6: "Six", 8: "Eight"}
    assert stages[StageKind.DELIBERATION].summary.startswith(f"{words[len(sessions)]} Saturday sessions")
    registered = Respondent.objects.filter(forum=forum, registered_by__isnull=True).values_list(
        "registered_at", flat=True
    )
    recruitment = stages[StageKind.RECRUITMENT]
    assert recruitment.starts_on <= min(registered).date() and max(registered).date() <= recruitment.ends_on
    _the_story_is_set_in_the_week_the_demo_is_loaded(forum, stages[StageKind.SELECTION])
    _letters_ask_to_register_by_the_end_of_recruitment(forum, recruitment.ends_on)


def _the_story_is_set_in_the_week_the_demo_is_loaded(forum: Forum, selection: Any) -> None:
    """The demo's dates were fixed: loaded from 28 November 2026 on, its panel was being drawn in a
    Selection stage already over, and from 2028 the daily purge would delete its registrations."""
    from datetime import date

    from civicforum.recruitment.models import RecruitmentSettings

    today = date.today()
    assert selection.starts_on <= today <= selection.ends_on
    assert selection.starts_on.weekday() == date(2026, 11, 9).weekday()  # moved by whole weeks
    assert RecruitmentSettings.objects.get(forum=forum).retention_until > today
    assert all(day.startswith("Saturday") for day in RecruitmentSettings.objects.get(forum=forum).sessions())


def _letters_ask_to_register_by_the_end_of_recruitment(forum: Forum, last_day: Any) -> None:
    """The demo's invitation letters read 'Please register by , online or by phone': no date was set."""
    from civicforum.recruitment.services import civic_lottery

    design = civic_lottery.letter_design(forum.lotteries.get(), "https://northam.example/register/")
    assert f"Please register by {last_day:%-d %B %Y}, online or by phone." in " ".join(
        design.fill(design.body).split()
    )


def test_demo_refuses_to_run_on_a_production_site(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="published password"):
        call_command("demo", stdout=StringIO())
    assert not Forum.objects.exists()


def test_registered_steps_run_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(demo, "_steps", {})

    @demo.register(order=20)
    def later(ctx: demo.DemoContext) -> None:
        calls.append("later")

    @demo.register(order=5)
    def sooner(ctx: demo.DemoContext) -> None:
        calls.append("sooner")

    monkeypatch.setattr(demo, "autodiscover_modules", lambda name: None)
    demo.run(out=lambda text: None)
    assert calls == ["sooner", "later"]
