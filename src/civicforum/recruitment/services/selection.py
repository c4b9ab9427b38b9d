"""Selection runs, the published selection record, confirmation and replacements."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode

from civicforum.core import audit
from civicforum.plain_text import plain_line, untypable_characters
from civicforum.processes.models import StageKind
from civicforum.recruitment.encryption import decrypt_text, encrypt_text
from civicforum.recruitment.models import (
    UNFINISHED,
    MemberStatus,
    PanelMember,
    RecruitmentSettings,
    Respondent,
    RespondentStatus,
    RunStatus,
    SelectionRun,
)
from civicforum.recruitment.services import engine, feasibility, registration
from civicforum.recruitment.services.blockers import Blocker
from civicforum.recruitment.services.locks import lock_forum
from civicforum.recruitment.services.quotas import (
    QUOTA_FIELDS,
    build_instance,
    feature_values,
    members_on_panel,
    questions_with_categories,
    quota_targets,
    target_words,
)
from civicforum.selection import Algorithm, InfeasibleQuotasError, Instance, SelectionError
from civicforum.selection.disclosure import EXPLANATION, NOT_SHOWN, TARGETS_EXPLANATION, targets_shown
from civicforum.selection.lottery import Lottery, draw_index, verify_command
from civicforum.wording import counted

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_SECONDS = 0.5
PANEL_CHANGED_DURING_RUN = (
    "A member's reply was recorded after this lottery of replacements was worked out, so it no longer "
    "fits the panel and no replacements were drawn from it. Draw the replacements again."
)
WITHDREW_DURING_RUN = (
    "Someone the draw chose withdrew after the lottery was worked out, so this panel cannot be used. "
    "Start the selection again: the new run leaves them out."
)


def full_selection_blocker(forum: Any) -> str | None:
    """Why the whole panel cannot be drawn again (None: it can, replacing members nobody has told yet).

    Once a selection record is published, the public has been shown that draw: drawing again would let
    a panel be redrawn until one was liked, while the record still showed the first draw."""
    if has_public_record(forum):
        return (
            "The selection record has been published, so the whole panel cannot be drawn again: the public "
            "record shows that draw. Draw replacements for anyone who declines instead."
        )
    told = PanelMember.objects.filter(forum=forum).filter(
        Q(invited_at__isnull=False) | ~Q(status=MemberStatus.SELECTED)
    )
    if told.exists():
        return (
            "Selected members have already been invited or have replied, so the whole panel cannot be "
            "drawn again. Draw replacements for anyone who declines instead."
        )
    return None


REGISTRATION_STILL_OPEN = (
    "Registration is still open, so people could join after the draw and the panel would not be drawn "
    "from a fixed list of volunteers. Close registration first: anyone who tries to register after that "
    "is told registration has closed."
)


class DrawBlocked(Exception):
    """A selection was started while registration is open (the pool it draws from is not fixed)."""


def draw_blocker(forum: Any, replacement: bool) -> Blocker | None:
    """Why this draw cannot start (None: it can): the pool was deleted, the panel was already told, or,
    for replacements, nobody declined (an empty draw would only add a run, with its own commitment and
    seed, to the forum's record); else registration is still open (the draw's fairness is about a fixed
    pool)."""

    def url(name: str) -> str:
        return reverse(f"recruitment:{name}", kwargs={"forum_slug": forum.slug})

    if RecruitmentSettings.objects.filter(forum=forum, purged_at__isnull=False).exists():
        text = "The registrations have been deleted, so there is nobody left to draw from."
        return Blocker(text, "Go to the panel", url("panel"))
    told = None if replacement else full_selection_blocker(forum)
    if told:
        return Blocker(told, "Go to the panel", url("panel"))
    if replacement and places_to_fill(forum) == 0:
        text = "Nobody on the panel has declined, so there are no places to fill."
        return Blocker(text, "Go to the panel", url("panel"))
    if registration.is_open(forum):  # last: closing registration would not help with the reasons above
        # The settings page sends the officer back here once they have closed it.
        back = url("start_selection") + ("?replacements=1" if replacement else "")
        settings_url = f"{url('settings')}?{urlencode({'next': back})}"
        return Blocker(
            REGISTRATION_STILL_OPEN, "Close registration in the recruitment settings", settings_url
        )
    return None


class RunInProgress(Exception):
    """Another selection run of the forum has not finished; ``run`` is that run."""

    def __init__(self, run: SelectionRun) -> None:
        super().__init__("A selection run is already in progress, perhaps started by a colleague")
        self.run = run


STOPPED = (
    "This run stopped without finishing, for example because the server restarted. A new run was "
    "started in its place."
)
REPLACED_BEFORE_DRAW = (
    "A new run was started while this lottery was waiting for its draw code, so it was replaced and no "
    "panel was drawn from it. Its fingerprint stays on the forum’s public selection record."
)
PURGED_BEFORE_DRAW = (
    "The registrations were deleted under the retention schedule while this lottery waited for its draw "
    "code, so no panel was drawn from it."
)
SET_ASIDE = (
    "This lottery was set aside before a draw code was entered, so no panel was drawn from it. Its "
    "fingerprint stays on the forum’s public selection record."
)


def start_run(forum: Any, user: Any, algorithm: str, replacement: bool = False) -> SelectionRun:
    """Queue the first step of a draw from the pool as it is now: working out the lottery (``execute_run``),
    which then waits for its draw code (``draw``). Raises ``RunInProgress`` while another of the forum's
    runs is still working out its lottery. Registration must be closed (``DrawBlocked``): the published
    record claims a fair draw from a fixed pool, which later registrants would change. The other blockers
    (``draw_blocker``) are shown before starting; the panel's is checked again when the result is saved.

    Two officers pressing the button at once get one run: the forum's row is locked while this checks
    for unfinished runs. A run that looks stuck (its worker died) is marked failed and replaced, and so is
    a lottery waiting for its draw code (it stays in the public list of lotteries, so it cannot be hidden).
    """
    now = timezone.now()
    with transaction.atomic():
        lock_forum(forum.pk)
        if registration.is_open(forum):
            raise DrawBlocked(REGISTRATION_STILL_OPEN)
        for active in SelectionRun.objects.filter(forum=forum, status__in=UNFINISHED).defer("result"):
            if active.status == RunStatus.COMMITTED:
                _fail(active, REPLACED_BEFORE_DRAW)
            elif active.in_progress(now):
                raise RunInProgress(active)
            else:
                _fail(active, STOPPED)
        run = SelectionRun.objects.create(
            forum=forum,
            algorithm=algorithm,
            panel_size=forum.panel_size,
            is_replacement=replacement,
            created_by=user,
        )
        audit.record(
            user,
            "recruitment.selection_started",
            forum=forum,
            target=run,
            algorithm=algorithm,
            replacement=replacement,
        )
    return run


def execute_run(run_id: int) -> None:
    """Work out a queued run's lottery (background task) and save it with its commitment, to wait for the
    draw code (``draw``); the run records progress, the lottery or the error."""
    run = SelectionRun.objects.select_related("forum").get(pk=run_id)
    queued = SelectionRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED)
    if not queued.update(status=RunStatus.RUNNING, message="Starting", updated_at=timezone.now()):
        return  # already run, or marked stopped and replaced by a newer run
    last_saved = [0.0]

    def progress(fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - last_saved[0] >= PROGRESS_INTERVAL_SECONDS:
            last_saved[0] = now
            _report(run, progress=min(fraction, 0.95), message=message[:300])

    instance: Instance | None = None
    # Kept on the run, as the officer set them: the record shows what this draw met, whatever the quotas
    # page says later (it refuses changes until the draw has finished, so these are what the draw reads).
    run.targets = quota_targets(questions_with_categories(run.forum))
    _report(run, targets=run.targets)
    try:
        instance, reference_of = pseudonymise(build_instance(run.forum, include_members=run.is_replacement))
        relaxed: list[str] = []
        if run.is_replacement:
            instance, relaxed = engine.replacement_instance(instance)
        result = engine.distribution(instance, run.algorithm, progress)
        _report(run, progress=0.95, message="Rounding to a lottery of possible panels")
        lottery = engine.lottery(result)
    except InfeasibleQuotasError as error:
        # The engine's bare 'No panel can meet all the quotas.' names no quota: the run page says which
        # quotas clash and the smallest change, as the quotas page does.
        found = feasibility.explain(run.forum, instance) if instance and error.explanation is None else None
        if found and found.undecided:
            message = f"{error} {feasibility.CLASH_NOT_FOUND_IN_TIME}"
        else:
            message = found.text() if found else str(error)
        _fail(run, message, pool_too_small=bool(found and found.pool_too_small))
        return
    except SelectionError as error:
        _fail(run, str(error))
        return
    except Exception as error:  # an engine bug must not leave the run "running" for ever
        logger.exception("selection run %s crashed", run.pk)
        _fail(
            run,
            f"The selection engine stopped unexpectedly ({type(error).__name__}). "
            "Try again, or choose another algorithm.",
        )
        return
    proven = bool(result.certificate.get("optimal", True))
    try:
        _commit(run, instance, result.selection_probabilities, lottery, relaxed, reference_of, proven)
    except Exception as error:  # nothing was saved (one transaction): say so rather than run for ever
        logger.exception("selection run %s could not be saved", run.pk)
        _fail(
            run,
            f"The lottery was worked out but could not be saved ({type(error).__name__}). "
            "Start the selection again.",
        )


def _report(run: SelectionRun, **fields: Any) -> None:
    """Save progress without touching the rest of the row, and show the run is alive."""
    SelectionRun.objects.filter(pk=run.pk).update(updated_at=timezone.now(), **fields)


def _fail(run: SelectionRun, message: str, pool_too_small: bool = False) -> None:
    """The run failed; ``pool_too_small`` lets the run page link to where the panel size is set."""
    result = {"pool_too_small": True} if pool_too_small else {}
    _report(run, status=RunStatus.FAILED, error=message, result=result, finished_at=timezone.now())
    audit.record(None, "recruitment.selection_failed", forum=run.forum, target=run)


def pseudonymise(instance: Instance) -> tuple[Instance, dict[str, str]]:
    """Give volunteers opaque ids (V0001...) in a random order, so the published lottery names nobody.

    Registration references are random, so sorting by them shuffles the pool; the mapping back to
    references stays in the private run result.
    """
    ordered = sorted(instance.people, key=lambda p: p.id)
    token_of = {p.id: f"V{index:04d}" for index, p in enumerate(ordered, start=1)}
    people = tuple(replace(p, id=token_of[p.id]) for p in instance.people)
    kept = frozenset(token_of[ref] for ref in instance.already_selected)
    return replace(instance, people=people, already_selected=kept), {t: r for r, t in token_of.items()}


def _commit(
    run: SelectionRun,
    instance: Instance,
    probabilities: Any,
    lottery: Lottery,
    relaxed: list[str],
    reference_of: dict[str, str],
    proven: bool,
) -> None:
    """Save the lottery and its commitment, and wait for the draw code: no panel is chosen yet.

    What the draw needs later is kept in the private result: which members a replacement draw keeps, and
    the answers of the people in the lottery's panels (the draw's record counts the panel it picks, as
    they answered when the lottery was worked out); the draw drops those answers again."""
    in_lottery = {token for panel in lottery.panels for token in panel}
    with transaction.atomic():
        lock_forum(run.forum_id)  # a run replaced meanwhile keeps its status
        if not SelectionRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).exists():
            return
        run.status = RunStatus.COMMITTED
        run.progress = 1.0
        run.message = "Lottery ready: waiting for the draw code"
        run.committed_at = timezone.now()
        run.commitment = lottery.commitment
        run.lottery_size = lottery.size
        run.quotas = [
            {"feature": q.feature, "value": q.value, "min": q.min, "max": q.max} for q in instance.quotas
        ]
        run.result = {
            "probabilities": {reference_of[token]: round(p, 6) for token, p in probabilities.items()},
            "tokens": reference_of,
            "lottery_panels": [list(panel) for panel in lottery.panels],
            "max_probability_change": lottery.max_deviation,
            "quotas_relaxed": relaxed,
            "proven_optimal": proven,
            "kept": sorted(instance.already_selected),
            "answers": sealed_answers(
                {p.id: dict(p.features) for p in instance.people if p.id in in_lottery}
            ),
        }
        run.save()
        audit.record(
            None,
            "recruitment.selection_committed",
            forum=run.forum,
            target=run,
            commitment=lottery.commitment,
            lottery_size=lottery.size,
        )


def sealed_answers(answers: dict[str, dict[str, str]]) -> str:
    """The answers a lottery waiting for its draw code keeps for the draw's record (by opaque id, which
    the result maps to registration references), encrypted at rest as on ``Respondent``: they include
    special category data (ethnicity, disability: UK GDPR art. 9), and the result is a plain JSON column
    (the Django admin shows it)."""
    return encrypt_text(json.dumps(answers, sort_keys=True))


def opened_answers(stored: Any) -> dict[str, dict[str, str]]:
    """What ``sealed_answers`` kept (a run saved before they were encrypted kept them as they were)."""
    if isinstance(stored, str):
        answers: dict[str, dict[str, str]] = json.loads(decrypt_text(stored))
        return answers
    return dict(stored or {})


def forget_answers(respondent: Respondent) -> int:
    """A person withdrawing (``registration.withdraw``, under the forum's lock) takes their answers out of
    every lottery of the forum waiting for its draw code; returns how many. Nothing needs them: a draw
    whose panel includes them fails (``WITHDREW_DURING_RUN``) before reading any answers, and any other
    panel's record counts only its own members."""
    forgotten = 0
    waiting = SelectionRun.objects.filter(forum_id=respondent.forum_id, status=RunStatus.COMMITTED)
    for run_id, result in waiting.values_list("pk", "result"):
        tokens = [token for token, ref in result.get("tokens", {}).items() if ref == respondent.reference]
        answers = opened_answers(result.get("answers"))
        if not any(token in answers for token in tokens):
            continue
        for token in tokens:
            answers.pop(token, None)
        result["answers"] = sealed_answers(answers)
        SelectionRun.objects.filter(pk=run_id).update(result=result)
        forgotten += 1
    return forgotten


DRAW_CODE_MAX_LENGTH = SelectionRun._meta.get_field("seed").max_length
DRAW_SOURCE_MAX_LENGTH = SelectionRun._meta.get_field("seed_source").max_length


def draw_code_problem(code: str) -> str | None:
    """Why ``code`` (stripped of spaces at either end) cannot be a draw code, in words (None: it can). It
    is refused with a character that does not show or an unusual space, as ``civicforum select --seed``
    is: pasted from a website it goes unseen, and nobody checking the draw from the code read out would
    type it."""
    if not code:
        return "Enter the draw code"
    if len(code) > DRAW_CODE_MAX_LENGTH:
        return f"Draw code must be {DRAW_CODE_MAX_LENGTH} characters or fewer"
    hidden = untypable_characters(code)
    if hidden:
        return (
            f"Draw code must not include {', '.join(hidden)}: nobody reading the code can see "
            f"{'them' if len(hidden) > 1 else 'it'}, so anyone checking the draw would type another code. "
            "Type the code instead of pasting it."
        )
    return None


class DrawRefused(Exception):
    """The draw code was not used; the message says why (a bad code, or the run is not waiting for one)."""


def draw(run: SelectionRun, code: str, source: str, user: Any) -> SelectionRun:
    """Step 2: pick the panel of ``run``'s saved lottery that the draw code names
    (``draw_index(commitment, code, size)``) and save it, once.

    ``source`` says where the code came from (numbers drawn at a public meeting, a lottery result). The
    run is read again under the forum's lock: a second press, or a colleague's, finds it drawn and is
    refused (``DrawRefused``), so no lottery is ever drawn twice. A bad code is refused before anything
    is saved. A lottery that no longer fits, whatever panel the code would pick (``_no_longer_fits``), is
    set aside without using the code. A code that was used is kept on the run even if the panel then
    cannot be saved (someone it chose withdrew meanwhile), so the record shows every draw made."""
    code, source = code.strip(), plain_line(source)  # the note shows on the public record as it reads
    problem = draw_code_problem(code)
    if problem is None and len(source) > DRAW_SOURCE_MAX_LENGTH:
        problem = f"Where the draw code came from must be {DRAW_SOURCE_MAX_LENGTH} characters or fewer"
    if problem:
        raise DrawRefused(problem)
    with transaction.atomic():
        lock_forum(run.forum_id)
        run = SelectionRun.objects.select_related("forum").get(pk=run.pk)
        if run.status != RunStatus.COMMITTED:
            raise DrawRefused(_not_waiting(run))
        if stale := _no_longer_fits(run):
            _fail(run, stale)
            return SelectionRun.objects.get(pk=run.pk)
        run.seed, run.seed_source = code, source
        run.chosen_index = draw_index(run.commitment, code, run.lottery_size)
        run.finished_at = timezone.now()
        _report(
            run, seed=code, seed_source=source, chosen_index=run.chosen_index, finished_at=run.finished_at
        )
        audit.record(
            user,
            "recruitment.selection_drawn",
            forum=run.forum,
            target=run,
            commitment=run.commitment,
            seed=code,
            seed_source=source,
            chosen_index=run.chosen_index,
        )
        _save_result(run)
    run.refresh_from_db()
    return run


def set_aside(run: SelectionRun, user: Any) -> None:
    """Set aside ``run``'s lottery, waiting for its draw code, without drawing it: the pool and quotas it
    holds may change again (to change the quotas, say), and it stays in the public list of lotteries.
    Refused (``DrawRefused``) once it has been drawn or replaced; under the forum's lock, as ``draw``."""
    with transaction.atomic():
        lock_forum(run.forum_id)
        run = SelectionRun.objects.select_related("forum").defer("result").get(pk=run.pk)
        if run.status != RunStatus.COMMITTED:
            raise DrawRefused(_not_waiting(run))
        _fail(run, SET_ASIDE)
        audit.record(user, "recruitment.selection_set_aside", forum=run.forum, target=run)


def _not_waiting(run: SelectionRun) -> str:
    if run.status == RunStatus.DONE:
        return (
            f"This lottery has already been drawn, with the draw code ‘{run.seed}’: it cannot be drawn again."
        )
    if run.status == RunStatus.FAILED:
        return "This run cannot be drawn: " + (run.error or "it failed.")
    return "This run’s lottery is still being worked out: enter the draw code once its fingerprint is shown."


def _no_longer_fits(run: SelectionRun) -> str | None:
    """Why ``run``'s lottery cannot be drawn whatever panel a code would pick (None: it can): the
    registrations were deleted, the panel a replacement draw keeps changed since the lottery was worked
    out, or a full panel was already told of (or its record published)."""
    if RecruitmentSettings.objects.filter(forum=run.forum, purged_at__isnull=False).exists():
        return PURGED_BEFORE_DRAW
    if run.is_replacement:
        reference_of = run.result["tokens"]
        kept = {reference_of[token] for token in run.result.get("kept", [])}
        return PANEL_CHANGED_DURING_RUN if members_on_panel(run.forum) != kept else None
    return full_selection_blocker(run.forum)


def _save_result(run: SelectionRun) -> None:
    """Save the panel the draw code picked from ``run``'s lottery (inside ``draw``'s transaction, under the
    forum's lock, the run waiting for its code and still fitting the panel). Someone it chose who withdrew
    since the lottery was worked out fails the run instead."""
    stored = run.result
    reference_of = stored["tokens"]
    kept_tokens = frozenset(stored.get("kept", []))
    panel = stored["lottery_panels"][run.chosen_index]
    new_members = [reference_of[token] for token in panel if token not in kept_tokens]
    by_reference = {
        r.reference: r
        for r in Respondent.objects.filter(
            forum=run.forum, reference__in=new_members, status=RespondentStatus.REGISTERED
        ).only("reference")
    }
    if len(by_reference) < len(new_members):  # withdrawn (or deleted) since the lottery was worked out
        _fail(run, WITHDREW_DURING_RUN)
        return
    if not run.is_replacement:
        PanelMember.objects.filter(forum=run.forum).delete()  # an earlier draw nobody was told about
    proven = stored.get("proven_optimal", True)
    answers = opened_answers(stored.pop("answers", {}))
    stored.pop("kept", None)
    run.status = RunStatus.DONE
    run.message = (
        "Finished"
        if proven
        else "Finished at the time limit: the fairest distribution found, not proven the fairest possible"
    )
    # What this draw chose, counted now: answers are erased when someone withdraws, and the panel changes
    # with replies and later draws, but the run's page and record show this draw.
    stored["chosen_index"] = run.chosen_index
    stored["composition"] = _counted(run.targets, (answers[token] for token in panel))
    run.save()
    declined = (
        list(
            PanelMember.objects.filter(
                forum=run.forum, status=MemberStatus.DECLINED, replaced_by__isnull=True
            )
        )
        if run.is_replacement
        else []
    )
    for index, reference in enumerate(new_members):
        PanelMember.objects.create(
            forum=run.forum,
            run=run,
            respondent=by_reference[reference],
            replaces=declined[index] if index < len(declined) else None,
        )
    audit.record(
        None,
        "recruitment.selection_finished",
        forum=run.forum,
        target=run,
        selected=len(new_members),
        commitment=run.commitment,
        seed=run.seed,
    )


def quotas_drawn_with(forum: Any) -> str | None:
    """What changing the quotas would mean for the panel already drawn, for the officer to confirm
    (None: no panel drawn yet). The panel and its selection record keep the quotas it was drawn with."""
    run = current_draw(forum)
    if run is None:
        return None
    on = date_format(timezone.localtime(run.created_at), "j F Y")
    drawn = f"The panel was drawn on {on} with the quotas as they were then"
    if full_selection_blocker(forum):
        return (
            f"{drawn}, and it cannot be drawn again: it keeps those quotas, as does its selection record. "
            "New quotas apply only to replacement draws for anyone who declines."
        )
    return (
        f"{drawn}. If you change them, that panel and its selection record keep the old quotas: start the "
        "selection again afterwards to draw a panel that meets the new ones."
    )


class PlaceFilled(Exception):
    """The member declined and a replacement now holds their place, so their reply can no longer change."""


class NotInvited(Exception):
    """The member has not been invited yet, so they cannot have accepted their place."""


class MemberWithdrew(Exception):
    """The member withdrew their registration, which declined their place and erased their personal data:
    nothing more can be recorded for them."""


def _withdrew(member: PanelMember) -> bool:
    """Whether ``member``'s registration is no longer held (withdrawn, its personal data erased)."""
    registered = Respondent.objects.filter(pk=member.respondent_id, status=RespondentStatus.REGISTERED)
    return not registered.exists()


class RepliedMeanwhile(Exception):
    """The member's reply changed after the officer's page was shown (they replied online, or a colleague
    recorded it): the officer's change was not saved."""

    def __init__(self, member: PanelMember, status: str) -> None:
        wanted = MemberStatus(status).label.lower()
        super().__init__(
            f"{member.respondent or 'This member'} replied while your page was open: they are now recorded "
            f"as ‘{MemberStatus(member.status).label}’. Your change was not saved. If you still want to "
            f"record them as {wanted}, press ‘Mark as {wanted}’ next to their name."
        )


def set_member_status(member: PanelMember, status: str, user: Any, seen: str | None = None) -> None:
    """Record a member's reply; one declining keeps no support needs. A reply recorded by mistake can be
    corrected until a replacement has been drawn for the place: after that, confirming the member again
    would put one too many on the panel.

    ``seen`` is the status the officer's page showed: if the member's status is no longer that (they
    replied online meanwhile), nothing is saved (``RepliedMeanwhile``) rather than overwriting their reply.
    The status is read again under the forum's lock, which an online reply also takes. A status the member
    already has is left as it is (a button pressed twice, or the same reply sent online): nothing to record.

    Nobody is recorded as confirmed before their invitation was sent (``NotInvited``): they have not been
    offered the place yet (a member whose email failed was still sent a letter, and may have been told
    another way). Declining needs no invitation: someone may say they cannot take part before it goes.
    Nor once they have withdrawn (``MemberWithdrew``): withdrawing declined their place and erased their
    data, so a member confirmed then would be one nobody can contact, holding a place a replacement needs.
    """
    with transaction.atomic():
        lock_forum(member.forum_id)  # waits for a replacement draw's save
        if PanelMember.objects.filter(replaces=member).exists():
            raise PlaceFilled(f"{member.respondent or 'This member'}’s place has gone to a replacement")
        member.status, member.invited_at = PanelMember.objects.values_list("status", "invited_at").get(
            pk=member.pk
        )
        if member.status == status:
            return
        if _withdrew(member):
            raise MemberWithdrew(
                f"{member.respondent or 'This member'} has withdrawn and their personal data was erased, so "
                f"they cannot be recorded as {MemberStatus(status).label.lower()}."
            )
        if seen is not None and member.status != seen:
            raise RepliedMeanwhile(member, status)
        if status == MemberStatus.CONFIRMED and member.invited_at is None:
            raise NotInvited(
                f"{member.respondent or 'This member'} has not been invited yet, so they cannot be recorded "
                "as confirmed. Invite them from the panel page first."
            )
        member.status = status
        member.save(update_fields=["status", "changed_at"])
        if status == MemberStatus.DECLINED and member.respondent_id:
            registration.forget_support_needs(member.respondent)
        audit.record(user, f"recruitment.member_{status}", forum=member.forum, target=member)


class DeclineKept(Exception):
    """A decline could not be undone; the message says why."""


def put_back_on_panel(member: PanelMember, user: Any) -> None:
    """Undo a decline recorded by mistake for a member not yet invited (the officer marked the wrong name
    as having phoned to say they cannot come): they are selected again and wait for their invitation.
    Their support needs, deleted by the decline, are not restored.

    Refused (``DeclineKept``, saying why) unless it is safe:

    - their registration is still held: withdrawing declines the place and erases the person's data;
    - no replacement holds their place: putting them back would make the panel one member too big;
    - no draw is queued or running (``registration.run_in_progress``): a replacement draw may be filling
      their place, and its result would no longer fit the panel;
    - they have not been invited: an invited member's decline is put right by recording their reply,
      'Mark as confirmed' (``set_member_status``), as they have been offered the place.

    A published selection record does not stop it: the record keeps the panel its draw chose
    (``_panel_as_published``), never the panel as replies change it, and only invitations wait for it.
    Under the forum's lock, which a replacement draw saving its panel and an online reply also take, with
    the member read again under it: a member already on the panel (a button pressed twice, or a
    colleague's) is left as they are, with nothing to record.
    """
    with transaction.atomic():
        lock_forum(member.forum_id)
        member.status, member.invited_at = PanelMember.objects.values_list("status", "invited_at").get(
            pk=member.pk
        )
        if member.status != MemberStatus.DECLINED:
            return
        who = member.respondent or "This member"
        if _withdrew(member):
            raise DeclineKept(
                f"{who} has withdrawn and their personal data was erased, so they cannot be put back on "
                "the panel."
            )
        if PanelMember.objects.filter(replaces=member).exists():
            raise DeclineKept(
                f"{who}’s place has gone to a replacement, so they cannot be put back on the panel: it "
                "would have one member too many."
            )
        if registration.run_in_progress(member.forum):
            raise DeclineKept(
                f"A selection is being drawn, so {who} cannot be put back on the panel until it has "
                "finished: a replacement draw may be filling their place."
            )
        if member.invited_at is not None:
            raise DeclineKept(
                f"{who} has been invited, so they are not put back on the panel: if they can take part, "
                "press ‘Mark as confirmed’ next to their name."
            )
        member.status = MemberStatus.SELECTED
        member.save(update_fields=["status", "changed_at"])
        audit.record(user, "recruitment.member_put_back", forum=member.forum, target=member)


def places_to_fill(forum: Any) -> int:
    return PanelMember.objects.filter(
        forum=forum, status=MemberStatus.DECLINED, replaced_by__isnull=True
    ).count()


def latest_run(forum: Any) -> SelectionRun | None:
    """The newest run without its result, which holds every volunteer's probability and the lottery's
    thousand panels: the dashboard shows only the run's status."""
    return SelectionRun.objects.filter(forum=forum).defer("result").first()


def panel_against_targets(forum: Any, targets: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Per quota category: target range (``targets`` as a run kept them, else the quotas now) and members
    now on the panel (selected or confirmed).

    Once the registration data is purged, the composition kept at that moment.
    """
    retained = RecruitmentSettings.objects.filter(forum=forum, purged_at__isnull=False).first()
    if retained is not None and "panel_composition" in retained.retained_aggregates:
        return retained.retained_aggregates["panel_composition"]
    questions = questions_with_categories(forum)
    members = (
        m.respondent
        for m in PanelMember.objects.filter(forum=forum, respondent__isnull=False)
        .exclude(status=MemberStatus.DECLINED)
        .select_related("respondent")
        .only("respondent", *(f"respondent__{field}" for field in QUOTA_FIELDS))
    )
    return _counted(
        targets or quota_targets(questions), (feature_values(r, questions) for r in members if r is not None)
    )


def _counted(targets: list[dict[str, Any]], people: Iterable[Mapping[str, str]]) -> list[dict[str, Any]]:
    """Per target (question, answer, min, max): how many of ``people`` (each's answer key per question
    key) gave that answer."""
    counts: Counter[tuple[str, str]] = Counter()
    for features in people:
        counts.update(features.items())
    return [
        {
            "question": target["question"],
            "category": target["category"],
            "min": target["min"],
            "max": target["max"],
            "count": counts[(target["feature"], target["value"])],
        }
        for target in targets
    ]


def run_against_targets(run: SelectionRun) -> list[dict[str, Any]]:
    """The panel ``run`` drew against the quotas it was drawn with, whatever became of the panel since
    (replies, withdrawals, later draws): once published, the record's table, as the public saw it.

    A run saved before draws kept their counts is counted from the references its draw chose, as they
    are registered now; once those references are gone (the purge), from the panel now, the only count
    left (with the quotas now, for a run drawn before runs kept them)."""
    if run.published_composition:
        return run.published_composition
    if "composition" in run.result:
        return run.result["composition"]
    panels, index = run.result.get("lottery_panels", []), run.result.get("chosen_index")
    reference_of = run.result.get("tokens")
    if not reference_of or index is None or index >= len(panels):
        return panel_against_targets(run.forum, run.targets or None)
    questions = questions_with_categories(run.forum)
    references = [reference_of[token] for token in panels[index]]
    chosen = Respondent.objects.filter(forum=run.forum, reference__in=references)
    return _counted(
        run.targets or quota_targets(questions),
        (feature_values(r, questions) for r in chosen.only(*QUOTA_FIELDS)),
    )


@dataclass(frozen=True)
class FilledPlace:
    """A place a replacement draw filled: the registration drawn, the member who had declined it, and the
    chance the draw gave the one drawn ("" once the purge has deleted them)."""

    drawn: str
    declined: str
    chance: str


@dataclass(frozen=True)
class ReplacementDraw:
    places: list[FilledPlace]
    summary: str


def replacement_draw(run: SelectionRun) -> ReplacementDraw:
    """What a finished replacement draw did, for its page: who took each place and the chances of the
    volunteers it drew from. A full draw's chart of chances would mislead here: every member kept is
    certain to stay (a chance of 100%) and stands beside volunteers competing for a few places.

    The members kept are the panel's places less those filled, and each had the highest chance (100%),
    so the others' chances are the rest, whether or not the purge has dropped the references. The others
    are the volunteers the draw chose from (``quotas.build_instance``): neither on the panel, nor having
    declined a place, nor living with a member kept (one person per household), as the start page
    counted them (``quotas.replacements_drawn_from``)."""
    members = PanelMember.objects.filter(run=run).select_related("respondent", "replaces__respondent")
    probabilities = run.result.get("probabilities", {})
    places = []
    for member in members.order_by("id"):
        drawn = member.respondent.reference if member.respondent else ""
        declined = member.replaces.respondent if member.replaces else None
        chance = percent(probabilities[drawn]) if drawn in probabilities else ""
        places.append(FilledPlace(drawn, declined.reference if declined else "", chance))
    kept = run.panel_size - len(places)
    others = sorted(probabilities.values())[: max(len(probabilities) - kept, 0)]
    summary = (
        f"This draw kept the {counted(kept, 'member', 'members')} still on the panel and filled "
        f"{counted(len(places), 'place', 'places')} from the other "
        f"{counted(len(others), 'volunteer', 'volunteers')} in the pool, whose chances of being drawn were "
        f"between {percent(min(others, default=0))} and {percent(max(others, default=0))}. The chart a full "
        "selection shows is left out: it would put the members kept, each certain to stay, beside them."
    )
    if others and others[0] == 0:
        summary += " " + no_chance_explained(run)
    return ReplacementDraw(places, summary)


def percent(chance: float) -> str:
    """A chance as a percentage to two places; one too small to show that way is 'less than 0.01%', so that
    0.00% always means no chance at all."""
    return "less than 0.01%" if 0 < chance < 0.0001 else f"{chance:.2%}"


def no_chance_explained(run: SelectionRun) -> str:
    """What a chance of 0.00% means on ``run``'s page, true for the method it used. The legacy method's
    chances are counted from its trial draws (``engine.LEGACY_RUNS``), so 0 may only mean never drawn in
    them. The others' are exact; a Leximin distribution that finished within the time limit raises every
    chance it can, so 0 there means no panel meeting the quotas, beside the members kept, includes them.
    Maximin (which raises only the lowest), the others, and a Leximin cut short promise no such thing."""
    if run.algorithm == Algorithm.LEGACY:
        return (
            "The legacy method’s chances are estimates, counted from trial draws: a chance of 0.00% means "
            "a volunteer was not picked in any of them, not that they could never be."
        )
    if run.algorithm == Algorithm.LEXIMIN and run.result.get("proven_optimal", True):
        return (
            "These chances are exact: a chance of 0.00% means the quotas leave that volunteer no chance, "
            "as no panel that meets them with the members kept can include them."
        )
    return (
        "These chances are exact: a chance of 0.00% means this draw gave that volunteer no chance. The "
        "quotas may leave them none, or this method may not have given them one: a Leximin draw that "
        "finishes within the time limit gives a chance to everyone the quotas allow."
    )


def forget_references(forum: Any) -> None:
    """At the retention purge, drop each run's map from opaque ids (V0001...) to registration references.

    The map is all that ties the published lottery to people; the verification files need only the
    opaque ids. Probabilities are kept by opaque id for the run page (the published panels show them).
    A lottery waiting for its draw code is set aside: the people it would draw are gone, and so are the
    answers it kept for the draw's record.
    """
    for waiting in SelectionRun.objects.filter(forum=forum, status=RunStatus.COMMITTED).defer("result"):
        _fail(waiting, PURGED_BEFORE_DRAW)
    for run in SelectionRun.objects.filter(forum=forum):
        reference_of = run.result.pop("tokens", None)
        if reference_of is None:
            continue
        token_of = {reference: token for token, reference in reference_of.items()}
        by_reference = run.result.get("probabilities", {})
        run.result["probabilities"] = {token_of[ref]: p for ref, p in by_reference.items()}
        run.save(update_fields=["result"])


def current_draw(forum: Any) -> SelectionRun | None:
    """The draw that chose the panel now: the latest finished run that is not a replacement draw (a new
    one deletes the panel an earlier one chose, and runs finish in the order they start: only one runs at a
    time). Without its result."""
    return (
        SelectionRun.objects.filter(forum=forum, status=RunStatus.DONE, is_replacement=False)
        .defer("result")
        .first()
    )


def waiting_for_code(forum: Any) -> SelectionRun | None:
    """The forum's lottery worked out and waiting for its draw code, if any (without its result)."""
    return SelectionRun.objects.filter(forum=forum, status=RunStatus.COMMITTED).defer("result").first()


def replaced_by(run: SelectionRun) -> SelectionRun | None:
    """The draw that chose the panel now, if a later one replaced ``run``'s (None: ``run`` chose it, or
    is not a finished full draw)."""
    if run.status != RunStatus.DONE or run.is_replacement:
        return None
    current = current_draw(run.forum)
    return current if current is not None and current.pk != run.pk else None


class NotPublishable(Exception):
    """The run's record cannot be published: it is not the draw that chose the panel now."""


REPLACED_DRAW = (
    "This draw was replaced by a later draw, which chose the panel now, so its selection record cannot "
    "be published: the record must show the draw the panel came from."
)


def publish(run: SelectionRun, user: Any) -> str | None:
    """Publish the record of the draw that chose the panel now, once: a second press (or a colleague's)
    keeps the first time. Any other run is refused (``NotPublishable``): the record, its ``selected.csv``
    and the invitations must all be about the draw the members came from. Under the forum's lock, as a
    draw saving its panel takes it, so a new panel cannot be saved while an older draw's record goes out.
    A forum still at an earlier stage moves on to Selection; returns the stage it moved from, in words
    (None: it did not move)."""
    with transaction.atomic():
        lock_forum(run.forum_id)
        if run.is_replacement:
            raise NotPublishable(
                "A replacement draw has no selection record of its own: the record is the first draw's."
            )
        current = current_draw(run.forum)
        if current is None or current.pk != run.pk:
            if run.status != RunStatus.DONE:
                raise NotPublishable("This run has not finished, so it has no record to publish.")
            raise NotPublishable(REPLACED_DRAW)
        published_at = timezone.now()
        unpublished = SelectionRun.objects.filter(pk=run.pk, published_at__isnull=True)
        if not unpublished.update(published_at=published_at):
            return None
        run.published_at = published_at
        _panel_as_published(run)
        audit.record(user, "recruitment.selection_published", forum=run.forum, target=run)
        return registration.move_on_to(run.forum, StageKind.SELECTION, user, "the selection was published")


def _panel_as_published(run: SelectionRun) -> list[dict[str, Any]]:
    """The panel ``run`` drew against its targets, kept on the run when its record is published: the
    draw ``selected.csv`` shows, not the panel as replies have changed it since.

    A live count would drop by one when a member leaves (or their data is erased): anyone comparing the
    page before and after would learn that person's answers, such as their ethnic group. A record
    published before the counts were kept is fixed the first time it is shown.
    """
    if not run.published_composition:
        run.published_composition = run_against_targets(run)
        run.save(update_fields=["published_composition"])
    return run.published_composition


def _published_runs(forum: Any) -> QuerySet[SelectionRun]:
    return SelectionRun.objects.filter(forum=forum, published_at__isnull=False, is_replacement=False)


def has_public_record(forum: Any) -> bool:
    return _published_runs(forum).exists()


def public_record(forum: Any) -> dict[str, Any] | None:
    """What the public page shows: the published draw's method, quotas, commitment, draw code and aggregate
    composition only (``run`` None until a record is published), and every lottery worked out for the
    forum, so that none can be set aside unseen; ``waiting`` is the one waiting for its draw code, whose
    fingerprint is public before the code exists. None: nothing to show yet."""
    run = _published_runs(forum).defer("result").first()
    lotteries = lottery_history(forum)
    waiting = next((lottery for lottery in lotteries if lottery.waiting), None)
    if run is None and waiting is None:
        return None
    record: dict[str, Any] = {"run": run, "lotteries": lotteries, "waiting": waiting}
    if run is not None:
        record |= {
            "composition": published_composition(run),
            "withheld": f"{EXPLANATION} {TARGETS_EXPLANATION}",
            "lottery_size": run.lottery_size,
            "chosen_index": run.chosen_index,
            "verify_command": verify_command("FOLDER", run.seed),
        }
    return record


@dataclass(frozen=True)
class WorkedOutLottery:
    """One lottery worked out for a forum, as the public record lists it: its fingerprint, when it was
    recorded (None: a draw made before fingerprints were recorded ahead of the code, so at the draw), and
    what became of it."""

    commitment: str
    committed_at: datetime | None
    replacement: bool
    outcome: str
    seed: str
    seed_source: str
    drawn_at: datetime | None
    waiting: bool


def lottery_history(forum: Any) -> list[WorkedOutLottery]:
    """Every lottery worked out for ``forum``, newest first, without the runs' results: the draws, the one
    waiting for its code, and those replaced before or after their draw."""
    runs = (
        SelectionRun.objects.filter(forum=forum)
        .exclude(commitment="")
        .only(
            "status",
            "is_replacement",
            "commitment",
            "committed_at",
            "seed",
            "seed_source",
            "finished_at",
            "created_at",
        )
    )
    current = current_draw(forum)
    return [
        WorkedOutLottery(
            commitment=run.commitment,
            committed_at=run.committed_at,
            replacement=run.is_replacement,
            outcome=_outcome(run, current),
            seed=run.seed,
            seed_source=run.seed_source,
            drawn_at=run.finished_at if run.seed else None,
            waiting=run.status == RunStatus.COMMITTED,
        )
        for run in runs
    ]


def _outcome(run: SelectionRun, current: SelectionRun | None) -> str:
    if run.status == RunStatus.COMMITTED:
        return "Waiting for its draw code"
    if run.status == RunStatus.DONE and run.is_replacement:
        return "Drawn: replacements for members who declined"
    if run.status == RunStatus.DONE:
        if current is not None and current.pk != run.pk:
            return "Drawn, then replaced by a later draw before anyone on its panel was told"
        return "Drawn: the panel came from this lottery"
    if run.seed:
        return "Drawn, but its panel could not be used (for example, someone it chose had withdrawn)"
    return "Set aside before a draw code was entered: no panel was drawn from it"


def published_composition(run: SelectionRun) -> list[dict[str, str]]:
    """The panel against its targets when ``run``'s record was published, as the public may see them, on
    the page and in distribution.json.

    Small counts, any count that would give one away, and any target that would tell more about a
    withheld count (a target of exactly 2 says there are 2) are withheld, so that nobody can be singled
    out in a small group.
    """
    targets = _panel_as_published(run)
    counts, target_shown = targets_shown(
        [(row["question"], row["count"], row["min"], row["max"]) for row in targets]
    )
    return [
        {
            "question": row["question"],
            "category": row["category"],
            "target": target_words(row["min"], row["max"]) if shown else NOT_SHOWN,
            "count": count,
        }
        for row, count, shown in zip(targets, counts, target_shown, strict=True)
    ]


def verification_files(run: SelectionRun) -> dict[str, str]:
    """``distribution.json`` and ``selected.csv`` as ``civicforum selection verify DIR --seed S`` reads them.

    Volunteers appear only as the run's opaque ids (V0001...), never as registration references. The
    panel's make-up is the one the public page shows, withheld counts and targets included: the run's
    own quotas would give away what the page withholds.
    """
    panels = run.result.get("lottery_panels", [])
    index = run.result.get("chosen_index")
    lottery = {
        "size": len(panels),
        "commitment": run.commitment,
        "committed_at": _moment(run.committed_at),
        "commitment_method": "sha256 of compact JSON list of sorted id lists, sorted",
        "draw_method": 'int(sha256(commitment + ":" + seed), 16) mod size',
        "seed": run.seed,
        "chosen_index": index,
        "panels": panels,
    }
    document = {
        "forum": run.forum.slug,
        "algorithm": run.algorithm,
        "panel_size": run.panel_size,
        "composition": [
            {
                "question": row["question"],
                "answer": row["category"],
                "target": row["target"],
                "members": row["count"],
            }
            for row in published_composition(run)
        ],
        "commitment": run.commitment,
        "committed_at": _moment(run.committed_at),
        "seed": run.seed,
        "seed_source": run.seed_source,
        "drawn_at": _moment(run.finished_at),
        "id_column": "id",
        "lottery": lottery,
        # Every lottery worked out for the forum, so none could have been set aside unseen.
        "lotteries": [
            {
                "commitment": worked_out.commitment,
                "committed_at": _moment(worked_out.committed_at),
                "replacement": worked_out.replacement,
                "outcome": worked_out.outcome,
                "seed": worked_out.seed or None,
                "seed_source": worked_out.seed_source,
                "drawn_at": _moment(worked_out.drawn_at),
            }
            for worked_out in lottery_history(run.forum)
        ],
    }
    chosen = panels[index] if panels and index is not None else []
    return {
        "distribution.json": json.dumps(document, indent=1),
        "selected.csv": "id\n" + "".join(f"{token}\n" for token in chosen),
    }


def _moment(when: datetime | None) -> str | None:
    """A time for the verification files: ISO 8601 in UTC (None: not recorded)."""
    return when.astimezone(UTC).isoformat() if when else None
