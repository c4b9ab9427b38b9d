"""Fixtures for recruitment tests: a forum with quota questions, addresses, a lottery and a pool."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from django.urls import reverse

from civicforum.recruitment.models import (
    InvitationBatch,
    RecruitmentSettings,
    Respondent,
    RespondentStatus,
    RunStatus,
    SelectionRun,
)
from civicforum.recruitment.services import civic_lottery, quotas, selection, synthetic
from civicforum.recruitment.services.lottery import new_seed

WARDS = [("North Ward", 0.5), ("South Ward", 0.5)]


def address_csv(count: int) -> bytes:
    rows = ["uprn,address_line_1,postcode,ward,deprivation_decile"]
    for i in range(1, count + 1):
        rows.append(f"{1000 + i},{i} Test Road,NM1 {i % 9 + 1}AB,{WARDS[i % 2][0]},{i % 10 + 1}")
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def officer(forum: Any, user_with_role: Any) -> Any:
    return user_with_role("officer", forum)


@pytest.fixture
def recruiting_forum(forum: Any, officer: Any) -> Any:
    """A forum (panel of 12) with quota questions, 400 addresses, a lottery of 200, registration open and a
    phone number to register by."""
    forum.panel_size = 12
    forum.save()
    RecruitmentSettings.objects.create(
        forum=forum, registration_open=True, session_dates="Saturday 6 March 2027", phone="01632 960000"
    )
    synthetic.create_questions(forum, WARDS, forum.panel_size)
    address_list = civic_lottery.import_addresses(forum, officer, address_csv(400), "addresses.csv")
    civic_lottery.draw_lottery(forum, officer, address_list, 200, seed="fixture")
    return forum


@pytest.fixture
def pool(recruiting_forum: Any) -> Any:
    """150 registrations, then registration closed: the pool is ready to draw a panel from."""
    invitations = list(recruiting_forum.lotteries.get().invitations.select_related("address")[:120])
    start = datetime(2026, 11, 2, tzinfo=UTC)
    registered = synthetic.populate_pool(recruiting_forum, invitations, 150, start, random.Random(4))
    close_registration(recruiting_forum)
    return registered


def registered(forum: Any) -> int:
    """How many people are registered on ``forum`` (withdrawn people are not)."""
    return Respondent.objects.filter(forum=forum, status=RespondentStatus.REGISTERED).count()


def staff_url(name: str, forum: Any, **kwargs: Any) -> str:
    """The address of recruitment page ``name`` of ``forum`` (``kwargs``: the page's other parts)."""
    return reverse(f"recruitment:{name}", kwargs={"forum_slug": forum.slug, **kwargs})


def open_registration(forum: Any) -> None:
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=True)


def add_age_question(forum: Any, officer: Any) -> Any:
    """A plain question with two answers and no quotas, as an officer adds one before registration."""
    return quotas.add_question(
        forum,
        officer,
        "How old are you?",
        "",
        [("16 to 29", None), ("30+", None)],
        True,
        special_category=False,
    )


def close_registration(forum: Any) -> None:
    RecruitmentSettings.objects.filter(forum=forum).update(registration_open=False)


def run_selection(
    forum: Any, officer: Any, algorithm: str, seed: str | None = None, replacement: bool = False
) -> SelectionRun:
    """Both steps of a selection, as the officer takes them: work out the lottery in this process, as the
    task worker would, then draw it with the draw code ``seed`` (a random one if not given). A run whose
    lottery could not be worked out is returned as it failed."""
    run = selection.start_run(forum, officer, algorithm, replacement)
    return finish_run(run, officer, seed)


def finish_run(run: SelectionRun, officer: Any, seed: str | None = None) -> SelectionRun:
    """Work out the lottery of ``run`` (already started) and, if that worked, draw it with ``seed``."""
    selection.execute_run(run.pk)
    run.refresh_from_db()
    if run.status != RunStatus.COMMITTED:
        return run
    return selection.draw(run, seed or new_seed(), "", officer)


def draw_panel(forum: Any, officer: Any, algorithm: str = "legacy", seed: str = "s") -> SelectionRun:
    """Propose quotas and draw a panel with them (quickly, with the legacy method, unless told otherwise)."""
    quotas.propose_quotas(forum, officer, slack=2)
    return run_selection(forum, officer, algorithm, seed=seed)


def publish_selection(forum: Any, officer: Any, seed: str) -> None:
    """Propose quotas, draw a panel (quickly, with the legacy method) and publish its selection record."""
    selection.publish(draw_panel(forum, officer, seed=seed), officer)


def one_invitation_sent(forum: Any) -> None:
    """A panel member of ``forum`` sent their invitation, so that its reply form is shown (before any
    invitation it says none has been sent), without drawing a panel."""
    from django.utils import timezone

    from civicforum.recruitment.models import PanelMember

    run = SelectionRun.objects.create(forum=forum, panel_size=1, status="done", commitment="0" * 64, seed="s")
    PanelMember.objects.create(forum=forum, run=run, invited_at=timezone.now())


def mark_invited(forum: Any) -> None:
    """Record every member as sent their invitation, as sending the invitations does (only then can a
    member be recorded as confirmed), without publishing the record or writing letters."""
    from django.utils import timezone

    from civicforum.recruitment.models import PanelMember

    PanelMember.objects.filter(forum=forum, invited_at__isnull=True).update(invited_at=timezone.now())


REPLY_URL = "https://example.org/reply"
# What the invite page's check step posts when the officer presses 'Send invitations' (without ``send``,
# the reply-by date only leads to that check page).
SEND_INVITATIONS = {"reply_by": "1 May", "send": "yes"}


def invite_and_send(forum: Any, officer: Any, reply_by: str = "1 May") -> InvitationBatch:
    """Invite the selected members and queue their sending, as the officer's button does (the immediate
    task backend runs it there and then)."""
    from civicforum.recruitment import tasks
    from civicforum.recruitment.services import panel_invitations

    batch = panel_invitations.invite_selected(forum, officer, REPLY_URL, reply_by)
    assert batch is not None
    tasks.start(tasks.send_invitations, batch.pk)
    batch.refresh_from_db()
    return batch


def email_counts(batch: InvitationBatch) -> dict[str, int]:
    """How many of the batch's members are at each email status ('sent', 'failed'...)."""
    return dict(Counter(batch.recipients.values_list("email_status", flat=True)))
