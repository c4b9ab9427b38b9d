"""LEXIMIN and MAXIMIN: the relaxation's fair point when panels reach it, else column generation.

``relaxation`` finds the leximin point of the fractional panel polytope with small LPs and splits it
into panels; that is exact whenever it succeeds. Otherwise column generation (Flanigan, Gölz, Gupta,
Hennig, Procaccia, Nature 2021) runs level by level: maximise the smallest probability ``z`` among
the volunteers not yet fixed, with a MILP pricing new panels from the LP duals; the dual then names
the volunteers who cannot rise above ``z`` in any optimal distribution (positive dual price, by
complementary slackness), their probability is fixed at ``z`` and the next level maximises the
rest. MAXIMIN stops after level one. The level-one dual prices are kept as a certificate: they are
non-negative, sum to one, and no panel's total price exceeds the proven bound, so no distribution
can give everyone more than it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..types import ProgressCallback
from .compression import TypeModel
from .heuristic import SwapSearch
from .master import INF, PanelMaster, generate_columns
from .panels import PanelSolver
from .relaxation import decompose, relaxed_leximin
from .settings import SelectionSettings

_POSITIVE_DUAL = 1e-6


@dataclass
class FairOutcome:
    """Type-level result shared by the fair algorithms, before expansion to concrete panels."""

    panels: list[np.ndarray]
    weights: np.ndarray
    certificate: dict[str, object]


def leximin(
    model: TypeModel,
    solver: PanelSolver,
    start: list[np.ndarray],
    active: np.ndarray,
    settings: SelectionSettings,
    progress: ProgressCallback,
    *,
    first_level_only: bool,
    deadline: float | None,
    try_relaxation: bool = True,
) -> FairOutcome:
    """Leximin-optimal (or, with ``first_level_only``, maximin-optimal) distribution over type panels.

    ``active`` lists the types that compete for probability (not already selected, not excluded).
    The relaxation's leximin point is tried first (``relaxation``); a leximin distribution is also a
    maximin one. Only when no panels reach that point does column generation run level by level,
    starting from every panel found on the way (``try_relaxation`` False: the caller already knows
    that panels cannot reach the point).
    """
    tried: list[np.ndarray] = []
    if try_relaxation:
        outcome, tried = relaxation_route(model, start, active, settings, progress, deadline=deadline)
        if outcome is not None:
            return outcome
    progress(0.2, "Finding panels that give everyone the fairest chances, a group of volunteers at a time")
    return _column_generation(
        model,
        solver,
        start + tried,
        active,
        settings,
        progress,
        first_level_only=first_level_only,
        deadline=deadline,
    )


def relaxation_route(
    model: TypeModel,
    start: list[np.ndarray],
    active: np.ndarray,
    settings: SelectionSettings,
    progress: ProgressCallback,
    *,
    deadline: float | None,
    everyone_can_sit: bool = False,
) -> tuple[FairOutcome | None, list[np.ndarray]]:
    """The relaxation's fair point split into panels, or None when panels cannot reach it (with the
    panels tried). With ``everyone_can_sit`` it also gives up when some active type cannot sit on
    any fractional panel, whose zero would make the maximin certificate meaningless."""
    relaxed = relaxed_leximin(model, active, settings.tolerance)
    if everyone_can_sit and relaxed.maximin <= settings.tolerance:
        return None, []
    progress(
        0.1,
        f"Fairest chances worked out, the lowest {relaxed.maximin:.2%}: now finding panels that give them",
    )
    split = decompose(
        model,
        relaxed.counts,
        start,
        tolerance=settings.tolerance,
        deadline=deadline,
        max_iterations=settings.max_iterations,
    )
    if not split.reached:
        return None, split.generated
    certificate = _maximin_certificate(model, relaxed.prices, relaxed.maximin, relaxed.maximin)
    certificate.update(
        optimal=True, levels=relaxed.levels, panels_generated=len(split.generated), method="relaxation"
    )
    return FairOutcome(split.panels, split.weights, certificate), split.generated


def _column_generation(
    model: TypeModel,
    solver: PanelSolver,
    start: list[np.ndarray],
    active: np.ndarray,
    settings: SelectionSettings,
    progress: ProgressCallback,
    *,
    first_level_only: bool,
    deadline: float | None,
) -> FairOutcome:
    """Exact LEXIMIN/MAXIMIN by column generation at every level, for quota systems the relaxation misses."""
    search = SwapSearch(model)
    master = PanelMaster(model, maximize=True)
    level_value = master.add_variable(1.0, 0.0, INF)
    rows = master.add_type_rows(active, 1.0, level_value, -1.0, 0.0, INF)
    for counts in start:
        master.add_panel(counts)
    unfixed = set(rows)
    certificate: dict[str, object] = {}
    optimal = True
    levels = 0
    while unfixed:
        pricing = generate_columns(
            master,
            solver,
            search,
            tolerance=settings.tolerance,
            deadline=deadline,
            max_iterations=settings.max_iterations,
        )
        optimal = optimal and pricing.optimal
        value = master.value(level_value)
        if levels == 0:
            certificate = _maximin_certificate(
                model, _prices(master, rows, unfixed), value, value + pricing.gap
            )
        levels += 1
        if not pricing.optimal or first_level_only:
            break
        if out_of_time(deadline):
            optimal = False
            break
        prices = _prices(master, rows, unfixed)
        largest = max(prices.values())
        for t in [t for t, price in prices.items() if price > _POSITIVE_DUAL * max(1.0, largest)] or [
            max(prices, key=prices.__getitem__)
        ]:
            master.set_row(rows[t], max(0.0, value - 0.01 * settings.tolerance), INF, level_value, 0.0)
            unfixed.discard(t)
        done = 1 - len(unfixed) / len(rows)
        progress(done, f"Chances set for {len(rows) - len(unfixed)} of {len(rows)} groups of volunteers")
    if not unfixed:
        master.set_bounds(level_value, 0.0, 0.0)  # no row holds the level any more: keep the LP bounded
        master.solve()
    panels, weights = master.distribution()
    certificate.update(
        optimal=optimal, levels=levels, panels_generated=len(master.panels), method="column generation"
    )
    return FairOutcome(panels, weights, certificate)


def _prices(master: PanelMaster, rows: dict[int, int], types: set[int]) -> dict[int, float]:
    """Dual price of each type's probability row in the last LP solve (non-negative)."""
    duals = master.row_duals()
    return {t: max(0.0, -float(duals[rows[t]])) for t in types}


def type_probabilities(model: TypeModel, panels: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """Each type's per-person selection probability under the distribution."""
    return (np.array(panels, dtype=float).T @ weights) / model.sizes


def _maximin_certificate(
    model: TypeModel, prices: dict[int, float], value: float, bound: float
) -> dict[str, object]:
    """Per-person dual prices y (>= 0, summing to 1) with the proven ``max_P y(P)``.

    For any distribution, min_i pi_i <= sum_i y_i pi_i = E[y(P)] <= max_P y(P) = ``upper_bound``.
    """
    total = sum(prices.values()) or 1.0
    per_person = {
        pid: prices.get(t, 0.0) / total / len(ids)
        for t, ids in enumerate(model.members)
        if t in prices
        for pid in ids
    }
    return {
        "kind": "maximin dual prices",
        "min_probability": value,
        "upper_bound": bound / total,
        "prices": per_person,
    }


def deadline_from(settings: SelectionSettings) -> float | None:
    return None if settings.time_limit is None else time.monotonic() + settings.time_limit


def out_of_time(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline
