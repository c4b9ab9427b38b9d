"""The only place recruitment calls the selection engine, so a change in its API is a one-line fix here."""

from __future__ import annotations

from django.conf import settings as django_settings

from civicforum.selection import (
    Algorithm,
    Instance,
    Lottery,
    ProgressCallback,
    QuotaCheckUndecided,
    SelectionResult,
    SelectionSettings,
    diagnose,
    find_distribution,
    plan_replacements,
    round_to_lottery,
)

LOTTERY_PANELS = 1000
LEGACY_RUNS = 300  # the greedy baseline only needs enough runs to show its uneven chances
ALGORITHMS = [
    (a.value, a.name.title() if a is not Algorithm.LEXIMIN else "Leximin (recommended)") for a in Algorithm
]


def distribution(
    instance: Instance, algorithm: str, progress: ProgressCallback | None = None
) -> SelectionResult:
    """The fair distribution, within ``SELECTION_TIME_LIMIT`` seconds so a run never hangs a worker.

    A run cut short keeps the fairest valid distribution found so far, with ``certificate["optimal"]``
    False, and the run page says so.
    """
    settings = SelectionSettings(legacy_runs=LEGACY_RUNS, time_limit=django_settings.SELECTION_TIME_LIMIT)
    return find_distribution(instance, algorithm, settings=settings, progress=progress)


def infeasibility(instance: Instance) -> str | None:
    """None when some panel meets every quota; otherwise the engine's plain-English diagnosis. Raises
    ``QuotaCheckUndecided`` when the engine could not tell within its time limit, which is neither."""
    found = diagnose(instance)
    return None if found is None else found.text()


def lottery(result: SelectionResult, size: int = LOTTERY_PANELS) -> Lottery:
    """The distribution rounded to ``size`` equally likely panels, with their commitment: saved and shown
    before the draw code exists, which then picks one (``draw_index``)."""
    return round_to_lottery(result, size)


def replacement_instance(instance: Instance) -> tuple[Instance, list[str]]:
    """The instance to draw replacements from (quotas relaxed only if they must be) and what gave way; the
    quotas as set when the engine could not tell within its time limit whether they must be."""
    try:
        plan = plan_replacements(instance)
    except QuotaCheckUndecided:
        return instance, []
    return plan.instance, [f"Quota can no longer be met: {change}." for change in plan.relaxation]
