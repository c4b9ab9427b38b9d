"""Quotas: population shares -> proposed min/max per category, CSV import, and the engine's instance."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from civicforum.core import audit
from civicforum.recruitment.models import (
    AnswerToGiveAgain,
    MemberStatus,
    PanelMember,
    QuotaCategory,
    QuotaQuestion,
    RecruitmentSettings,
    Respondent,
    RespondentStatus,
    RunStatus,
)
from civicforum.recruitment.services.locks import lock_forum
from civicforum.recruitment.services.problems import (
    FileProblem,
    FileRejected,
    csv_rows,
    decode_utf8,
    normalise_header,
)
from civicforum.recruitment.services.registration import run_in_progress
from civicforum.selection import Instance, Person, Quota
from civicforum.wording import counted

PREFER_NOT_TO_SAY = "prefer_not_to_say"
MAX_SHARE_TOTAL = Decimal("1.01")  # a question's shares, each rounded up, may pass 100% a little
MIN_SHARE_TOTAL = Decimal("0.99")  # or, each rounded down, fall short of it a little


@dataclass(frozen=True)
class ProposedRange:
    minimum: int
    maximum: int


def propose_range(share: float, panel_size: int, slack: int) -> ProposedRange:
    """The exact share of the panel, rounded outwards, widened by ``slack`` members each side."""
    target = share * panel_size
    return ProposedRange(max(0, math.floor(target) - slack), min(panel_size, math.ceil(target) + slack))


class QuotasInUse(Exception):
    """A draw is reading the quotas: they may change once it has finished."""


DRAW_READS_QUOTAS = (
    "A panel is being drawn with the quotas as they are, so they cannot be changed until the draw has "
    "finished. Wait for the draw to finish (its progress is on the selection run’s page), then change them."
)


LOTTERY_WAITS = (
    "A lottery has been worked out with the quotas as they are and is waiting for its draw code, so they "
    "cannot be changed now. On the selection run’s page, enter the draw code, or set the lottery aside "
    "to change the quotas."
)


def change_blocker(forum: Any) -> str | None:
    """Why the quotas cannot change now (None: they can): a draw queued or running reads them, or a
    lottery worked out with them waits for its draw code."""
    run = run_in_progress(forum)
    if run is None:
        return None
    return LOTTERY_WAITS if run.status == RunStatus.COMMITTED else DRAW_READS_QUOTAS


def _lock_quotas(forum: Any) -> None:
    """Inside a transaction: wait for a draw being started (``selection.start_run`` locks the forum), then
    refuse (``QuotasInUse``) while one is queued or running."""
    lock_forum(forum.pk)
    blocker = change_blocker(forum)
    if blocker:
        raise QuotasInUse(blocker)


@transaction.atomic
def propose_quotas(forum: Any, user: Any, slack: int) -> int:
    """Fill min/max from population shares for every category that has a share; returns how many.
    Refused (``QuotasInUse``) while a draw is queued or running."""
    _lock_quotas(forum)
    categories = list(QuotaCategory.objects.filter(question__forum=forum, population_share__isnull=False))
    for category in categories:
        proposed = propose_range(float(category.population_share or 0), forum.panel_size, slack)
        category.min_members, category.max_members = proposed.minimum, proposed.maximum
    QuotaCategory.objects.bulk_update(categories, ["min_members", "max_members"])
    # Remembered, so the page shows the quotas with the number they were proposed with.
    RecruitmentSettings.objects.update_or_create(forum=forum, defaults={"quota_slack": slack})
    audit.record(user, "recruitment.quotas_proposed", forum=forum, slack=slack, categories=len(categories))
    return len(categories)


SHARES_COLUMNS = ("question", "category", "share")


def import_shares_csv(forum: Any, user: Any, data: bytes, filename: str) -> int:
    """Set population shares from a CSV with columns ``question,category,share`` (all or nothing).

    ``share`` is a fraction (0.51) or a percentage (51%); questions and categories are matched by key
    or label, ignoring case. A row naming neither is told the labels to choose from.
    """
    rows = csv_rows(decode_utf8(data, filename), filename, SHARES_COLUMNS)
    if not rows:
        raise FileRejected([FileProblem(filename, "the file is empty; it needs a header row.", row=1)])
    header = [normalise_header(h) for h in rows[0]]
    missing = [c for c in SHARES_COLUMNS if c not in header]
    if missing:
        raise FileRejected(
            [
                FileProblem(filename, f"the required column '{c}' is missing.", row=1, column=c)
                for c in missing
            ]
        )
    lookup, questions = _category_lookup(forum)
    problems: list[FileProblem] = []
    updates: dict[int, Decimal] = {}
    first_row: dict[int, int] = {}
    for row_number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        values = dict(zip(header, (c.strip() for c in cells), strict=False))
        question, category = values.get("question", ""), values.get("category", "")
        found = lookup.get((question.casefold(), category.casefold()))
        if found is None:
            problems.append(_not_found(question, category, questions, filename, row_number))
            continue
        share = parse_share(values.get("share", ""))
        if share is None:
            problems.append(
                FileProblem(
                    filename,
                    f"'{values.get('share', '')}' is not a share (use 0.51 or 51%).",
                    row=row_number,
                    column="share",
                )
            )
            continue
        if first_row.setdefault(found.pk, row_number) != row_number:
            problems.append(
                FileProblem(
                    filename,
                    f"'{category}' in '{question}' appears twice (first on row {first_row[found.pk]}).",
                    row=row_number,
                    column="category",
                )
            )
            continue
        updates[found.pk] = share
    if problems:
        raise FileRejected(problems)
    if not updates:
        raise FileRejected(
            [FileProblem(filename, "the file has no rows under its header: add one row per category.", row=2)]
        )
    too_far = _share_total_problems(lookup, updates, filename)
    if too_far:
        raise FileRejected(too_far)
    with transaction.atomic():
        for pk, share in updates.items():
            QuotaCategory.objects.filter(pk=pk).update(population_share=share)
        audit.record(user, "recruitment.population_shares_imported", forum=forum, categories=len(updates))
    return len(updates)


def share_total_rule(shares: list[Decimal | None]) -> str | None:
    """What the population shares of one question's answers break (None: nothing). Together they cannot
    pass 100% (the proposed quotas would then add up to more than the panel); when every answer has a
    share they must make 100%, or the proposed quotas cannot fill the panel. Each share being rounded,
    99% to 101% is allowed."""
    total = share_total(shares)
    if total > MAX_SHARE_TOTAL:
        return "together they must be 100% or less"
    if shares and None not in shares and total < MIN_SHARE_TOTAL:
        return "every answer has a share, so together they must make 100% (99% to 101% allows for rounding)"
    return None


def share_total(shares: list[Decimal | None]) -> Decimal:
    """The sum of the shares set (an answer without one counts as none)."""
    return sum((share for share in shares if share is not None), Decimal(0))


def percent(share: Decimal) -> str:
    """0.6 -> '60%', 0.98753 -> '98.7%': rounded away from 100%, so a total outside 99% to 101% never
    reads as inside it."""
    rounding = ROUND_DOWN if share < 1 else ROUND_UP
    shown = (share * 100).quantize(Decimal("0.1"), rounding=rounding)
    return f"{shown:.0f}%" if shown == shown.to_integral_value() else f"{shown}%"


def _share_total_problems(
    lookup: dict[tuple[str, str], QuotaCategory], updates: dict[int, Decimal], filename: str
) -> list[FileProblem]:
    """Each question the file gives shares for whose shares, with those already set for answers the file
    does not list, break ``share_total_rule``; the message names those answers, since the file alone
    may add up."""
    by_question: dict[QuotaQuestion, list[QuotaCategory]] = {}
    for category in {category.pk: category for category in lookup.values()}.values():
        by_question.setdefault(category.question, []).append(category)
    problems = []
    for question, categories in by_question.items():
        if not any(category.pk in updates for category in categories):
            continue  # the file leaves this question's shares as they are
        categories.sort(key=lambda c: (c.position, c.pk))
        shares = [updates.get(c.pk, c.population_share) for c in categories]
        rule = share_total_rule(shares)
        if rule is None:
            continue
        total = percent(share_total(shares))
        kept = [c.label for c in categories if c.pk not in updates and c.population_share is not None]
        if kept:
            already = _listed(kept, "the share already set for", "the shares already set for").rstrip(".")
            add_up = f"with {already}, the shares for '{question.label}' would add up to {total}"
        else:
            add_up = f"the shares for '{question.label}' add up to {total}"
        problems.append(FileProblem(filename, f"{add_up}: {rule}."))
    return problems


def _category_lookup(
    forum: Any,
) -> tuple[dict[tuple[str, str], QuotaCategory], dict[str, list[QuotaCategory]]]:
    """Each category by (question, category), each named by key or label ignoring case; and each
    question's categories by its key or label, to list them when a row names neither."""
    lookup: dict[tuple[str, str], QuotaCategory] = {}
    questions: dict[str, list[QuotaCategory]] = {}
    categories = QuotaCategory.objects.filter(question__forum=forum).select_related("question")
    for category in categories.order_by("question__position", "question__id", "position", "id"):
        for q in {category.question.key.casefold(), category.question.label.casefold()}:
            questions.setdefault(q, []).append(category)
            for c in (category.key, category.label):
                lookup[(q, c.casefold())] = category
    return lookup, questions


def _not_found(
    question: str, category: str, questions: dict[str, list[QuotaCategory]], filename: str, row: int
) -> FileProblem:
    """What a row names that the forum has not, listing the labels the quotas page shows to choose from
    (the keys match too, but officers never see them)."""
    categories = questions.get(question.casefold())
    if categories is None:
        labels = list(dict.fromkeys(c.question.label for found in questions.values() for c in found))
        message = f"no question '{question}': " + _listed(labels, "the only question is", "the questions are")
        return FileProblem(filename, message, row=row, column="question")
    listed = _listed([c.label for c in categories], "its only category is", "its categories are")
    return FileProblem(
        filename, f"no category '{category}' in question '{question}': {listed}", row=row, column="category"
    )


def _listed(labels: list[str], one: str, many: str) -> str:
    """For example: its categories are 'Woman', 'Man' and 'Prefer not to say' (a label may hold a comma)."""
    quoted = [f"'{label}'" for label in labels]
    if not quoted:
        return "this forum has none yet."
    if len(quoted) == 1:
        return f"{one} {quoted[0]}."
    return f"{many} {', '.join(quoted[:-1])} and {quoted[-1]}."


def parse_share(raw: str) -> Decimal | None:
    """'51%' or '0.51' -> Decimal('0.51'); None when it is not a share between 0 and 1 (or is NaN)."""
    percent = raw.endswith("%")
    try:
        value = Decimal(raw.rstrip("%").strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if percent:
        value /= 100
    return value if 0 <= value <= 1 else None


@dataclass(frozen=True)
class QuotaBox:
    """One minimum or maximum box of the quotas table: its id (the error summary links to it), the
    label a screen reader gives it (its error starts with it), what it holds and what is wrong."""

    id: str
    label: str
    typed: str
    error: str = ""


@dataclass(frozen=True)
class QuotaRow:
    category: QuotaCategory
    minimum: QuotaBox
    maximum: QuotaBox
    in_pool: int | None = None  # how many in the pool gave this answer (``with_pool_counts``)


@dataclass(frozen=True)
class QuotaTable:
    question: QuotaQuestion
    rows: list[QuotaRow]


def quota_tables(
    forum: Any, posted: Mapping[str, str] | None = None, panel_size: int | None = None
) -> list[QuotaTable]:
    """The quotas table, one per question: the saved limits, or what the officer typed in ``posted``
    with each box's error, so a refused table shows every box as typed next to its own message.
    ``panel_size`` checks the boxes against a size other than the forum's (one the officer is choosing)."""
    panel_size = forum.panel_size if panel_size is None else panel_size
    tables = []
    for question in questions_with_categories(forum):
        rows = []
        for category in question.categories.all():
            boxes = []
            for bound, saved in (("Minimum", category.min_members), ("Maximum", category.max_members)):
                name = f"{bound[:3].lower()}-{category.pk}"
                box = QuotaBox(name, f"{bound} for {category.label} ({question.label})", _shown(saved))
                boxes.append(box if posted is None else _typed(box, posted.get(name, ""), panel_size))
            low, high = boxes
            if (
                not (low.error or high.error)
                and low.typed
                and high.typed
                and int(low.typed) > int(high.typed)
            ):
                low = replace(low, error=f"{low.label} must not be more than the maximum, {high.typed}")
            rows.append(QuotaRow(category, low, high))
        tables.append(QuotaTable(question, rows))
    return tables


def with_pool_counts(tables: list[QuotaTable], instance: Instance) -> list[QuotaTable]:
    """``tables`` with how many people in ``instance``'s pool gave each answer: an officer setting a
    minimum sees what there is to draw from beside it, not on another page."""
    counts = Counter((key, value) for person in instance.people for key, value in person.features.items())
    return [
        replace(
            table,
            rows=[replace(row, in_pool=counts[table.question.key, row.category.key]) for row in table.rows],
        )
        for table in tables
    ]


def _shown(limit: int | None) -> str:
    return "" if limit is None else str(limit)


def _typed(box: QuotaBox, typed: str, panel_size: int) -> QuotaBox:
    """``box`` holding ``typed``, which must be empty (no limit) or a whole number up to the panel size."""
    typed = typed.strip()
    whole = typed.isascii() and typed.isdigit() and len(typed) < 10 and int(typed) <= panel_size
    error = "" if whole or not typed else f"{box.label} must be a whole number from 0 to {panel_size}"
    return replace(box, typed=typed, error=error)


def share_total_warnings(tables: list[QuotaTable]) -> list[str]:
    """For the quotas page: each question whose population shares, set before imports were checked
    (``share_total_rule``), add up to more than the population, or to less when every answer has one;
    quotas proposed from them would not fit the panel."""
    warnings = []
    for table in tables:
        shares = [row.category.population_share for row in table.rows]
        rule = share_total_rule(shares)
        if rule:
            total = percent(share_total(shares))
            warnings.append(
                f"The population shares for ‘{table.question.label}’ add up to {total}: {rule}. "
                "Import its shares again before proposing quotas from them."
            )
    return warnings


def quota_errors(tables: list[QuotaTable]) -> list[QuotaBox]:
    """The boxes with an error, in page order, for the error summary."""
    return [box for table in tables for box in _boxes(table) if box.error]


@dataclass(frozen=True)
class QuotaClash:
    """Saved quotas a smaller panel could not keep: the panel size they need, and which they are."""

    needed: int
    reason: str


def quota_clashes(forum: Any, panel_size: int) -> list[QuotaClash]:
    """The saved quotas that would no longer fit a panel of ``panel_size``, largest need first: a limit
    the quotas page would refuse (the same check as saving it there), or a question whose minimums add
    up to more than the panel (each member gives one answer to every question, so no panel is possible)."""
    saved = {box.id: box.typed for table in quota_tables(forum) for box in _boxes(table)}
    refused_now = {box.id for box in quota_errors(quota_tables(forum, saved))}
    clashes = [
        QuotaClash(int(box.typed), f"{box.label[0].lower()}{box.label[1:]} is {box.typed}")
        for box in quota_errors(quota_tables(forum, saved, panel_size))
        if box.id not in refused_now  # only what the new size breaks
    ]
    for question in questions_with_categories(forum):
        minimums = [(c.label, c.min_members) for c in question.categories.all() if c.min_members]
        total = sum(minimum for _label, minimum in minimums)
        if total > panel_size and len(minimums) > 1:  # one minimum alone is a refused box above
            listed = ", ".join(f"{label} {minimum}" for label, minimum in minimums)
            clashes.append(
                QuotaClash(total, f"the minimums for ‘{question.label}’ add up to {total} ({listed})")
            )
    return sorted(clashes, key=lambda clash: -clash.needed)


def _boxes(table: QuotaTable) -> list[QuotaBox]:
    return [box for row in table.rows for box in (row.minimum, row.maximum)]


@transaction.atomic
def save_quota_tables(forum: Any, user: Any, tables: list[QuotaTable]) -> None:
    """Save every category's limits as typed (an empty box: no limit); the tables must have no errors.
    Refused (``QuotasInUse``) while a draw is queued or running."""
    _lock_quotas(forum)
    categories = []
    for row in (row for table in tables for row in table.rows):
        row.category.min_members = int(row.minimum.typed) if row.minimum.typed else None
        row.category.max_members = int(row.maximum.typed) if row.maximum.typed else None
        categories.append(row.category)
    QuotaCategory.objects.bulk_update(categories, ["min_members", "max_members"])
    audit.record(user, "recruitment.quotas_changed", forum=forum)


@dataclass(frozen=True)
class AnswerOption:
    """A category, or 'prefer not to say' where the question allows it (no share, no limits)."""

    key: str
    label: str
    population_share: Decimal | None = None
    min_members: int | None = None
    max_members: int | None = None


def answer_options(question: QuotaQuestion) -> list[AnswerOption]:
    options = [
        AnswerOption(c.key, c.label, c.population_share, c.min_members, c.max_members)
        for c in question.categories.all()
    ]
    if question.allow_prefer_not_to_say:
        options.append(AnswerOption(PREFER_NOT_TO_SAY, "Prefer not to say"))
    return options


def quota_targets(questions: list[QuotaQuestion]) -> list[dict[str, Any]]:
    """Every answer's target as the officer set it (None: no limit), with the keys that count members."""
    return [
        {
            "feature": question.key,
            "value": option.key,
            "question": question.label,
            "category": option.label,
            "min": option.min_members,
            "max": option.max_members,
        }
        for question in questions
        for option in answer_options(question)
    ]


def add_question(
    forum: Any,
    user: Any,
    label: str,
    hint: str,
    categories: list[tuple[str, Decimal | None]],
    allow_prefer_not_to_say: bool,
    *,
    special_category: bool,
    from_address: bool = False,
) -> QuotaQuestion:
    """A new quota question asked at registration, with its answers (and population shares if known);
    ``special_category``: the officer says it asks for special category data, and then it offers
    'Prefer not to say' whatever ``allow_prefer_not_to_say`` says: registering must not depend on giving
    such an answer (consent to it is free only if declining costs nothing).
    Refused once anyone has registered (``questions_locked``), unless it is answered ``from_address``
    (the ward), which needs nobody's answer."""
    locked = None if from_address else questions_locked(forum)
    if locked:
        raise QuestionInUse(locked)
    with transaction.atomic():
        position = QuotaQuestion.objects.filter(forum=forum).count()
        key = _unique_key(forum, slugify(label)[:40] or "question")
        question = QuotaQuestion.objects.create(
            forum=forum,
            key=key,
            label=label,
            hint=hint,
            position=position,
            allow_prefer_not_to_say=allow_prefer_not_to_say or special_category,
            special_category=special_category,
            from_address=from_address,
        )
        keys = category_keys([name for name, _share in categories])
        QuotaCategory.objects.bulk_create(
            QuotaCategory(question=question, key=key, label=name, position=index, population_share=share)
            for index, (key, (name, share)) in enumerate(zip(keys, categories, strict=True))
        )
        audit.record(
            user,
            "recruitment.quota_question_added",
            forum=forum,
            target=question,
            special_category=special_category,
        )
    return question


def category_keys(names: list[str]) -> list[str]:
    """One key per answer: its slug (at most 50 characters), made unique, never empty.

    Answers can share their first 50 characters (the 2021 census ethnic groups 'Black, Black British,
    Black Welsh, Caribbean or African: ...') or have no letters a slug keeps ('😀', 'ما').
    """
    keys: list[str] = []
    for position, name in enumerate(names, start=1):
        base = slugify(name)[:50] or f"answer-{position}"
        key, number = base, 2
        while key in keys:
            suffix = f"-{number}"
            key, number = base[: 50 - len(suffix)] + suffix, number + 1
        keys.append(key)
    return keys


def _unique_key(forum: Any, base: str) -> str:
    key, number = base, 2
    while QuotaQuestion.objects.filter(forum=forum, key=key).exists():
        key, number = f"{base}-{number}", number + 1
    return key


class QuestionInUse(ValueError):
    """People have registered, so their answers depend on the questions as they were."""


def questions_locked(forum: Any) -> str | None:
    """Why the questions asked can no longer change (None: they can). Once anyone has registered, a
    question removed would throw away answers already given, and one added would have no answer from
    them, so the quotas could not count them. The ward, answered from the address, can still be added."""
    registered = Respondent.objects.filter(forum=forum).count()
    if not registered:
        return None
    return (
        f"{counted(registered, 'person has', 'people have')} already registered, so the "
        "questions can no longer be added or removed: their answers were given to the questions as they "
        "are, and the quotas count those answers."
    )


def wording_locked(forum: Any) -> str | None:
    """Why a question's wording can no longer change (None: it can): whenever the questions are locked
    (``questions_locked``, someone has registered). Their answers were given to the words they read, and
    whether new words keep the meaning of those answers is not something the service can judge."""
    if not questions_locked(forum):
        return None
    return (
        "People have already registered and answered the questions as they are worded, so the wording "
        "can no longer change: different words could change what their answers mean, and the quotas count "
        "those answers. Closing registration does not change this: once answers exist, the questions stay "
        "as they are."
    )


@transaction.atomic
def change_question_wording(
    question: QuotaQuestion, user: Any, label: str, hint: str, answer_labels: Mapping[int, str]
) -> list[str]:
    """Put right ``question``'s wording while nobody has registered (``wording_locked``): its label, hint
    and the words of its answers (``answer_labels`` by category id; other ids are ignored). The keys that
    answers, quotas and population shares are stored under never change. Returns the fields changed.
    Under the forum's lock, so that no registration lands between the check and the change."""
    lock_forum(question.forum_id)
    locked = wording_locked(question.forum)
    if locked:
        raise QuestionInUse(locked)
    changed = [name for name, new in (("label", label), ("hint", hint)) if getattr(question, name) != new]
    question.label, question.hint = label, hint
    question.save(update_fields=["label", "hint"])
    categories = [
        category
        for category in question.categories.all()
        if category.pk in answer_labels and answer_labels[category.pk] != category.label
    ]
    for category in categories:
        category.label = answer_labels[category.pk]
    QuotaCategory.objects.bulk_update(categories, ["label"])
    if categories:
        changed.append("answers")
    if changed:
        audit.record(
            user, "recruitment.quota_question_changed", forum=question.forum, target=question, changed=changed
        )
    return changed


def removal_losses(question: QuotaQuestion) -> list[str]:
    """What removing ``question`` throws away, in words for the confirmation page."""
    categories = list(question.categories.all())
    losses = [f"its {len(categories)} answers: " + ", ".join(c.label for c in categories)]
    shares = [c for c in categories if c.population_share is not None]
    if shares:
        losses.append(f"the population shares of {len(shares)} of those answers")
    limits = [c for c in categories if c.min_members is not None or c.max_members is not None]
    if limits:
        described = ", ".join(f"{c.label} {target_words(c.min_members, c.max_members)}" for c in limits)
        losses.append(
            f"the quotas set on it ({described}): the selection will no longer balance the panel by it"
        )
    return losses


def target_words(low: int | None, high: int | None) -> str:
    """A quota's range in words, the same on the public selection record and the officer's pages: 'any
    number', 'at least 3', 'up to 4', '2', '2 to 5'."""
    if low is None and high is None:
        return "any number"
    if high is None:
        return f"at least {low}"
    if not low:
        return f"up to {high}"
    return str(low) if low == high else f"{low} to {high}"


@transaction.atomic
def delete_question(question: QuotaQuestion, user: Any) -> None:
    """Remove a question while nobody has registered (answers already given would lose their meaning),
    under the forum's lock, so that no registration lands between the check and the removal."""
    lock_forum(question.forum_id)
    locked = questions_locked(question.forum)
    if locked:
        raise QuestionInUse(locked)
    audit.record(user, "recruitment.quota_question_removed", forum=question.forum, target=question)
    question.delete()


def unmarking_refused(question: QuotaQuestion) -> str | None:
    """Why ``question``, marked as asking for special category data, must stay marked (None: it need
    not): people registered on a privacy notice naming their answers to it as special category data, and
    those answers are what they are."""
    if not question.special_category:
        return None
    registered = Respondent.objects.filter(forum=question.forum).count()
    if not registered:
        return None
    return (
        f"{counted(registered, 'person has', 'people have')} already registered, told by the "
        "privacy notice that their answers to this question are special category data, so it stays marked."
    )


def _answered(question: QuotaQuestion) -> list[Respondent]:
    """The registrations holding an answer to ``question`` other than 'Prefer not to say' ('')."""
    respondents = Respondent.objects.filter(forum=question.forum).only("answers").order_by("pk")
    return [respondent for respondent in respondents if (respondent.answers or {}).get(question.key)]


def answered_unmarked(question: QuotaQuestion) -> int:
    """How many people gave an answer (not 'Prefer not to say') to ``question`` while it was not marked as
    asking for special category data (0 once it is): marking it means erasing those answers."""
    return 0 if question.special_category else len(_answered(question))


EARLIER_ANSWERS_ERASED = (
    "They registered on a privacy notice that did not name this question as asking for special category "
    "data, so they did not give the explicit consent UK GDPR (article 9) needs to keep those answers. "
    "Their answers will count as ‘Prefer not to say’ in the quotas; the rest of their registration is "
    "kept. They can give their answer again, this time with their consent, online while registration is "
    "open or by phone: the questions page then lets you email them the link, record answers given by "
    "phone and download who to tell."
)


@transaction.atomic
def mark_special_category(
    question: QuotaQuestion, user: Any, special_category: bool, erase_earlier_answers: bool = False
) -> None:
    """The officer's answer to whether ``question`` asks for special category data; unmarked only while
    nobody has registered (``unmarking_refused``).

    Marking protects everyone who registers from then on (the privacy notice names the question), but
    those who already answered it were never told, so gave no explicit consent (UK GDPR art. 9) to it:
    marking it once answers exist needs ``erase_earlier_answers``, and erases them (they become 'Prefer not
    to say', which marking always offers), recording whose (``AnswerToGiveAgain``) so that they can be
    asked to give it again with that consent. Under the forum's lock, so that an answer given meanwhile
    is erased too, and never while a draw reads the answers (``run_in_progress``)."""
    lock_forum(question.forum_id)
    question.refresh_from_db(fields=["special_category"])
    refused = None if special_category else unmarking_refused(question)
    if refused:
        raise QuestionInUse(refused)
    answered = _answered(question) if special_category and not question.special_category else []
    if answered and not erase_earlier_answers:
        raise QuestionInUse(
            f"{counted(len(answered), 'person has', 'people have')} answered this question without being "
            "told it asks for special category data: marking it now erases those answers, which you need "
            "to confirm."
        )
    if answered and run_in_progress(question.forum):
        raise QuestionInUse(
            "A selection is being drawn from the answers: wait until it finishes, then mark the question."
        )
    for respondent in answered:
        respondent.answers = {**respondent.answers, question.key: ""}
        respondent.save(update_fields=["answers"])
    erased_at = timezone.now()
    AnswerToGiveAgain.objects.bulk_create(
        AnswerToGiveAgain(respondent=respondent, question=question, erased_at=erased_at)
        for respondent in answered
    )
    question.special_category = special_category
    if special_category:  # as ``add_question``: one more answer changes none already given
        question.allow_prefer_not_to_say = True
    question.save(update_fields=["special_category", "allow_prefer_not_to_say"])
    audit.record(
        user,
        "recruitment.quota_question_marked",
        forum=question.forum,
        target=question,
        special_category=special_category,
        **({"earlier_answers_erased": len(answered)} if answered else {}),
    )


def add_ward_question(forum: Any, user: Any) -> QuotaQuestion:
    """The ward as a quota, answered from each invitation's address; shares from the latest address list."""
    address_list = forum.address_lists.first()
    if address_list is None:
        raise QuestionInUse("Upload the address list first: the wards come from it.")
    counts = Counter(address_list.addresses.values_list("ward", flat=True))
    total = sum(counts.values())
    categories = [(ward, Decimal(count) / total) for ward, count in sorted(counts.items())]
    shares = [(ward, round(share, 4)) for ward, share in categories]
    return add_question(forum, user, "Ward", "", shares, False, special_category=False, from_address=True)


# Words suggesting that a question asks for special category data (UK GDPR art. 9): racial or ethnic
# origin, religious or philosophical beliefs, health (disability included), sex life or sexual
# orientation, political opinions, trade union membership, genetic or biometric data; in English and
# Welsh. Only a suggestion offered to the officer adding a question: "Which of these best describes you?"
# can list ethnic groups in words no list foresees, and "the health of the high street" is no one's
# health. What counts is the officer's answer, ``QuotaQuestion.special_category``.
SPECIAL_CATEGORY_WORDS = re.compile(
    r"\b(ethnic|race\b|racial|religio|belief|faith|disab|health|illness|sexual|orientation|politic"
    r"|trade union|genetic|biometric|long[- ]term condition|medical|mental|gay\b|lesbian|bisexual"
    r"|christian|muslim|jewish|hindu|sikh|buddhist|ethnig|crefydd|anabl|iechyd|rhywiol|gwleidyddol"
    r"|undeb llafur)",
    re.IGNORECASE,
)


def suggests_special_category(*wording: str) -> bool:
    """Whether a question's ``wording`` (its label, hint and answers) suggests that it asks for special
    category data: the answer offered to the officer adding it, who confirms or changes it."""
    return any(SPECIAL_CATEGORY_WORDS.search(text) for text in wording)


def unneeded_special_questions(questions: list[QuotaQuestion], locked: str | None) -> list[QuotaQuestion]:
    """Of a forum's ``questions`` (``questions_with_categories``), those the officer marked as asking for
    special category data (ethnicity, disability, health...) that no quota uses: none of their answers
    has a quota, or a population share to propose one from. Their answers are sensitive data that no
    selection rule needs (UK GDPR art. 5(1)(c), data minimisation). None once the questions are
    ``locked`` (``questions_locked``: someone has registered), since they can no longer be removed then."""
    if locked:
        return []
    return [
        question
        for question in questions
        if question.special_category
        and not any(
            c.population_share is not None or c.min_members is not None or c.max_members is not None
            for c in question.categories.all()
        )
    ]


def privacy_notice_questions(forum: Any) -> tuple[list[QuotaQuestion], list[QuotaQuestion], bool]:
    """What the privacy notice tells registrants the forum asks about them: the questions they answer,
    those of them the officer marked as asking for special category data, and whether their ward is
    recorded (from the letter's address)."""
    questions = list(
        QuotaQuestion.objects.filter(forum=forum).only("label", "from_address", "special_category")
    )
    asked = [question for question in questions if not question.from_address]
    special = [question for question in asked if question.special_category]
    return asked, special, len(asked) < len(questions)


def questions_with_categories(forum: Any) -> list[QuotaQuestion]:
    return list(QuotaQuestion.objects.filter(forum=forum).prefetch_related("categories"))


# What quotas read of a registration: names, contact details and access needs are neither fetched nor
# decrypted when a page or a selection run goes through the whole pool.
QUOTA_FIELDS = ("reference", "invitation", "ward", "answers")


def _drawable(forum: Any, keeping_members: bool = False) -> QuerySet[Respondent]:
    """The volunteers a draw chooses from, the members it keeps among them: everyone still registered
    (withdrawing erases a person's answers and declines any place they held), less anyone who declined a
    place on the panel (or was recorded as declining) and holds none now. They told the council they
    cannot take part: a replacement draw fills their places, and drawing one of them again would leave a
    place empty once more. A full draw follows the same rule, though nobody has declined by then (it
    starts only while nobody has replied: ``selection.full_selection_blocker``). A decline put right
    (``selection.put_back_on_panel``, or 'Mark as confirmed') makes them a member again, kept by a draw.

    A draw ``keeping_members`` (replacements) also leaves out the members' housemates: one person per
    household (the engine's rule, by invitation) means none of them can be drawn beside a member who
    stays, and counting them showed volunteers with a chance of 0% among those the draw chose from."""
    # One who declined yet holds a place again (drawn again before this rule) is a member, and kept.
    holding = _holding_places(forum)
    declined = Q(pk__in=_holding_places(forum, declined=True)) & ~Q(pk__in=holding)
    drawable = Respondent.objects.filter(forum=forum, status=RespondentStatus.REGISTERED).exclude(declined)
    if not keeping_members:
        return drawable
    # A member whose invitation is gone shares no household (as in ``build_instance``); and a NULL in
    # the list would make NOT IN match nobody.
    members_households = holding.filter(respondent__invitation__isnull=False).values("respondent__invitation")
    return drawable.exclude(Q(invitation__in=members_households) & ~Q(pk__in=holding))


def _holding_places(forum: Any, declined: bool = False) -> QuerySet[PanelMember]:
    """For a subquery: the registrations holding a place on the panel (selected or confirmed), or that
    declined one."""
    places = PanelMember.objects.filter(forum=forum, respondent__isnull=False)
    in_status = Q(status=MemberStatus.DECLINED)
    return places.filter(in_status if declined else ~in_status).values("respondent")


def pool(forum: Any, keeping_members: bool = False) -> list[Respondent]:
    """What the engine reads of the volunteers a draw chooses from (``_drawable``)."""
    return list(_drawable(forum, keeping_members).only(*QUOTA_FIELDS).order_by("registered_at", "id"))


def replacements_drawn_from(forum: Any) -> int:
    """How many volunteers a replacement draw would fill places from: those it chooses from
    (``_drawable``, keeping the members, so without their housemates) less the members still on the
    panel, whom it keeps."""
    return _drawable(forum, keeping_members=True).exclude(pk__in=_holding_places(forum)).count()


def feature_values(respondent: Respondent, questions: list[QuotaQuestion]) -> dict[str, str]:
    """The respondent's category key per question; the ward comes from the address for address questions."""
    answers: dict[str, str] = respondent.answers or {}
    values = {}
    for question in questions:
        value = ward_key(question, respondent.ward) if question.from_address else answers.get(question.key)
        values[question.key] = value or PREFER_NOT_TO_SAY
    return values


def ward_key(question: QuotaQuestion, ward: str) -> str:
    """The key of the address question's category for ``ward``: the category made from that ward name
    (``category_keys`` cut it to 50 characters and made it unique), else the key the same rule gives."""
    return question.category_keys_by_label.get(ward) or (category_keys([ward])[0] if ward else "")


def build_quotas(
    questions: list[QuotaQuestion], panel_size: int, declined: Counter[str]
) -> tuple[Quota, ...]:
    """Quotas from the categories' min/max (no limit: 0..panel size); 'prefer not to say' is unlimited."""
    quotas = []
    for question in questions:
        for category in question.categories.all():
            low = category.min_members if category.min_members is not None else 0
            high = category.max_members if category.max_members is not None else panel_size
            quotas.append(Quota(question.key, category.key, low, high))
        if declined[question.key]:
            quotas.append(Quota(question.key, PREFER_NOT_TO_SAY, 0, panel_size))
    return tuple(quotas)


def members_on_panel(forum: Any) -> frozenset[str]:
    """The references of the members still on the panel (selected or confirmed)."""
    return frozenset(
        PanelMember.objects.filter(forum=forum, respondent__isnull=False)
        .exclude(status=MemberStatus.DECLINED)
        .values_list("respondent__reference", flat=True)
    )


def build_instance(forum: Any, include_members: bool = False) -> Instance:
    """The engine's view of the pool (the volunteers a draw chooses from: ``_drawable``): people by
    reference, one per household (their invitation).

    With ``include_members`` the members still on the panel are already selected and the panel is the
    forum's full size (drawing replacements), and their housemates, who could never be drawn, are left
    out.
    """
    questions = questions_with_categories(forum)
    respondents = pool(forum, keeping_members=include_members)
    people = []
    declined: Counter[str] = Counter()
    for respondent in respondents:
        features = feature_values(respondent, questions)
        declined.update(key for key, value in features.items() if value == PREFER_NOT_TO_SAY)
        household = f"invitation-{respondent.invitation_id}" if respondent.invitation_id else None
        people.append(Person(respondent.reference, features, household))
    kept = members_on_panel(forum) if include_members else frozenset()
    return Instance(
        tuple(people), build_quotas(questions, forum.panel_size, declined), forum.panel_size, kept
    )
