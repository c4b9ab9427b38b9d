"""Selection algorithms: from a pool and quotas to a distribution over panels.

``find_distribution`` is the one entry point; every algorithm returns the same ``SelectionResult``.
The fair algorithms work on types of interchangeable volunteers (``compression``) and turn the
result back into concrete panels at the end.
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
from threadpoolctl import threadpool_limits

from ..types import Algorithm, Instance, Panel, ProgressCallback, SelectionError, SelectionResult
from .compression import TypeModel, build_type_model, expand
from .goldilocks import goldilocks
from .heuristic import SwapSearch
from .legacy import legacy
from .leximin import FairOutcome, deadline_from, leximin, relaxation_route, type_probabilities
from .nash import nash
from .panels import PanelSolver, check_panel, find_panel, initial_panels, require_feasible
from .settings import SelectionSettings

SOLVER = "HiGHS (highspy)"


def _ignore_progress(fraction: float, message: str) -> None:
    """Default progress callback."""


def find_distribution(
    instance: Instance,
    algorithm: Algorithm | str = Algorithm.LEXIMIN,
    *,
    settings: SelectionSettings | None = None,
    progress: ProgressCallback | None = None,
) -> SelectionResult:
    """A distribution over valid panels chosen by ``algorithm``.

    Every panel meets the quotas and the household rule and contains the already-selected people.
    Raises ``InfeasibleQuotasError`` when no such panel exists.
    """
    try:
        chosen = Algorithm(algorithm)
    except ValueError:
        names = ", ".join(a.value for a in Algorithm)
        raise SelectionError(f"Unknown algorithm '{algorithm}'; choose one of {names}.") from None
    problem = _instance_problem(instance)
    if problem:
        raise SelectionError(problem)
    # The engine multiplies many small matrices: BLAS threads only spin against other work there.
    with threadpool_limits(limits=1, user_api="blas"):
        return _find_distribution(
            instance, chosen, settings or SelectionSettings(), progress or _ignore_progress
        )


def _instance_problem(instance: Instance) -> str | None:
    """What makes ``instance`` no selection problem at all (the file readers refuse these too): else a
    panel size below 1 reads as clashing quotas, an empty pool crashes HiGHS, and a repeated id shares
    out chances that no longer add up to the panel size."""
    if not instance.people:
        return "The pool is empty: there is nobody to select."
    if instance.panel_size < 1:
        return f"The panel size must be at least 1, not {instance.panel_size}."
    repeated = sorted(pid for pid, count in Counter(p.id for p in instance.people).items() if count > 1)
    if repeated:
        return f"Each volunteer needs their own id; given to more than one: {', '.join(repeated)}."
    return None


def _find_distribution(
    instance: Instance, chosen: Algorithm, settings: SelectionSettings, report: ProgressCallback
) -> SelectionResult:
    started = time.perf_counter()
    model = build_type_model(instance)
    solver = PanelSolver(model)
    if chosen is Algorithm.LEGACY:
        require_feasible(solver)
        drawn, frequencies = legacy(
            instance, settings.legacy_runs, settings.legacy_attempts, settings.legacy_seed, report
        )
        return _result(instance, chosen, dict(zip(drawn, frequencies, strict=True)), {}, started, started)

    deadline = deadline_from(settings)
    outcome: FairOutcome | None = None
    tried: list[np.ndarray] = []
    if chosen in (Algorithm.LEXIMIN, Algorithm.MAXIMIN) and not model.forced.all():
        # Usually every type can sit on some panel and panels reach the relaxation's fair point; the
        # starting panels, and the MILPs proving which types can sit at all, are then not needed.
        require_feasible(solver)
        outcome, tried = relaxation_route(
            model,
            [],
            np.flatnonzero(~model.forced),
            settings,
            report,
            deadline=deadline,
            everyone_can_sit=True,
        )
    initialised = time.perf_counter()
    if outcome is not None:
        coverable = np.ones(model.num_types, dtype=bool)
    else:
        report(0.0, "Finding starting panels")
        search = SwapSearch(model)
        start, coverable = initial_panels(solver, search, settings.initial_random_panels, settings.seed)
        initialised = time.perf_counter()
        outcome = _fair_outcome(
            model,
            solver,
            start + tried,
            coverable,
            chosen,
            settings,
            report,
            deadline=deadline,
            relaxation_failed=bool(tried) and bool(coverable.all()),
        )
    concrete = expand(model, outcome.panels, [float(w) for w in outcome.weights])
    # Every member of a type gets the type's share in the expanded panels (``expand``), so each
    # person's probability comes from the few type panels, not from the many concrete ones.
    shares = type_probabilities(model, outcome.panels, outcome.weights / outcome.weights.sum())
    share_of = {pid: float(shares[t]) for t, members in enumerate(model.members) for pid in members}
    selection = {person.id: share_of[person.id] for person in instance.people}
    excluded = sorted(pid for t in np.flatnonzero(~coverable) for pid in model.members[t])
    certificate = {**outcome.certificate, "excluded": excluded, "types": model.num_types}
    report(1.0, "Done")
    return _result(instance, chosen, concrete, certificate, started, initialised, selection)


def _fair_outcome(
    model: TypeModel,
    solver: PanelSolver,
    start: list[np.ndarray],
    coverable: np.ndarray,
    chosen: Algorithm,
    settings: SelectionSettings,
    report: ProgressCallback,
    *,
    deadline: float | None,
    relaxation_failed: bool,
) -> FairOutcome:
    """The fair algorithm's type-level distribution over the types some panel can hold."""
    active = np.flatnonzero(coverable & ~model.forced)
    if len(active) == 0:
        return FairOutcome([start[0]], np.ones(1), {"optimal": True})
    if chosen is Algorithm.NASH:
        return nash(model, solver, start, active, settings, report, deadline=deadline)
    if chosen is Algorithm.GOLDILOCKS:
        return goldilocks(model, solver, start, active, settings, report, deadline=deadline)
    return leximin(
        model,
        solver,
        start,
        active,
        settings,
        report,
        first_level_only=chosen is Algorithm.MAXIMIN,
        deadline=deadline,
        try_relaxation=not relaxation_failed,
    )


def _result(
    instance: Instance,
    algorithm: Algorithm,
    distribution: dict[Panel, float],
    certificate: dict[str, object],
    started: float,
    initialised: float,
    selection: dict[str, float] | None = None,
) -> SelectionResult:
    """The result record; each person's selection probability is summed from the panels unless given."""
    panels = sorted(distribution, key=lambda p: (-distribution[p], p))
    weights = np.array([distribution[p] for p in panels])
    weights /= weights.sum()
    if selection is None:
        selection = _selection_probabilities(instance, panels, weights)
    finished = time.perf_counter()
    return SelectionResult(
        algorithm=algorithm,
        solver=SOLVER,
        panels=tuple(panels),
        panel_probabilities=tuple(float(w) for w in weights),
        selection_probabilities=selection,
        timings={"initial_panels": initialised - started, "total": finished - started},
        certificate=certificate,
    )


def _selection_probabilities(
    instance: Instance, panels: list[Panel], weights: np.ndarray
) -> dict[str, float]:
    position = {p.id: i for i, p in enumerate(instance.people)}
    lengths = np.fromiter(map(len, panels), dtype=np.int64, count=len(panels))
    members = np.fromiter(
        (position[pid] for panel in panels for pid in panel), dtype=np.int64, count=int(lengths.sum())
    )
    totals = np.bincount(members, weights=np.repeat(weights, lengths), minlength=len(position))
    return {pid: float(total) for pid, total in zip(position, totals, strict=True)}


__all__ = ["SelectionSettings", "check_panel", "find_distribution", "find_panel"]
