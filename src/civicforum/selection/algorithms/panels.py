"""The single-panel MILP and the checks every panel must pass.

``PanelSolver`` keeps one HiGHS model alive and only swaps its objective, so the pricing step of
column generation (thousands of calls) never rebuilds constraints.
"""

from __future__ import annotations

from collections.abc import Mapping

import highspy
import numpy as np

from civicforum.highs import quiet_highs

from ..types import InfeasibleQuotasError, Instance, Panel
from .compression import PanelBounds, TypeModel, build_type_model
from .heuristic import SwapSearch

_INF = highspy.kHighsInf


def add_rule_rows(highs: highspy.Highs, model: TypeModel, rules: PanelBounds) -> None:
    """Panel size, quota and household rows over the first ``num_types`` columns (the type counts)."""
    num = model.num_types
    k = float(model.instance.panel_size)
    highs.addRow(k, k, num, np.arange(num, dtype=np.int32), np.ones(num))
    for low, high, types in zip(rules.quota_low, rules.quota_high, model.quota_types, strict=True):
        highs.addRow(float(low), float(high), len(types), types.astype(np.int32), np.ones(len(types)))
    for low, group in zip(rules.household_low, model.households, strict=True):
        highs.addRow(float(low), 1.0, len(group), np.array(group, dtype=np.int32), np.ones(len(group)))


def _set_bounds(highs: highspy.Highs, columns: np.ndarray, bounds: PanelBounds) -> None:
    """Type-count bounds on the first columns; quota and household bounds on the rows after the size row."""
    highs.changeColsBounds(
        len(columns), columns, bounds.count_low.astype(float), bounds.count_high.astype(float)
    )
    low = np.concatenate([bounds.quota_low, bounds.household_low]).astype(float)
    high = np.concatenate([bounds.quota_high, np.ones(len(bounds.household_low))]).astype(float)
    rows = np.arange(1, len(low) + 1, dtype=np.int32)
    highs.changeRowsBounds(len(rows), rows, low, high)  # type: ignore[attr-defined]  # missing from highspy's stubs


def _panel_model(model: TypeModel, bounds: PanelBounds) -> highspy.Highs:
    """A maximisation over the type counts within ``bounds``: the panel LP, integer once told so."""
    num = model.num_types
    highs = quiet_highs()
    highs.addCols(
        num, np.zeros(num), bounds.count_low.astype(float), bounds.count_high.astype(float), 0, [], [], []
    )
    add_rule_rows(highs, model, bounds)
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    return highs


class PanelSolver:
    """Maximise ``weights . counts`` over the feasible panels (counts per type)."""

    def __init__(
        self,
        model: TypeModel,
        bounds: PanelBounds | None = None,
        *,
        relative_gap: float = 1e-9,
        absolute_gap: float = 1e-10,
    ):
        self.model = model
        rules = bounds or model.rules()
        highs = _panel_model(model, rules)
        highs.setOptionValue("mip_rel_gap", relative_gap)
        highs.setOptionValue("mip_abs_gap", absolute_gap)
        highs.setOptionValue("random_seed", 0)
        num = model.num_types
        everyone = np.arange(num, dtype=np.int32)
        highs.changeColsIntegrality(num, everyone, np.full(num, highspy.HighsVarType.kInteger))
        self._highs = highs
        self._everyone = everyone
        self._bounds = rules
        self._relaxation: highspy.Highs | None = None

    def restrict(self, bounds: PanelBounds) -> None:
        """From now on, only panels within ``bounds`` (a face of the panel polytope, say)."""
        self._bounds = bounds
        for highs in (self._highs, self._relaxation):
            if highs is not None:
                _set_bounds(highs, self._everyone, bounds)

    def relaxed_best(self, weights: np.ndarray) -> np.ndarray:
        """The best fractional panel (the LP relaxation's optimum): a cheap hint for the MILP's answer."""
        if self._relaxation is None:
            self._relaxation = _panel_model(self.model, self._bounds)
        highs = self._relaxation
        highs.changeColsCost(len(weights), self._everyone, np.asarray(weights, dtype=float))
        highs.run()
        return np.asarray(highs.getSolution().col_value, dtype=float)

    def best(self, weights: np.ndarray, enough: float = _INF) -> tuple[np.ndarray, float, float] | None:
        """The best panel's type counts, its value and the solver's proven upper bound (None: no panel).

        With ``enough``, the search may stop at the first panel worth at least that much.
        """
        highs = self._highs
        highs.changeColsCost(len(weights), self._everyone, np.asarray(weights, dtype=float))
        highs.setOptionValue("objective_target", enough)
        highs.run()
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kObjectiveTarget):
            raise RuntimeError(f"HiGHS could not solve the panel MILP: {highs.modelStatusToString(status)}")
        counts = np.rint(np.asarray(highs.getSolution().col_value)).astype(np.int64)
        value = float(np.dot(weights, counts))
        bound = max(value, float(highs.getInfo().mip_dual_bound))
        return counts, value, bound


def require_feasible(solver: PanelSolver) -> np.ndarray:
    """One feasible panel, or ``InfeasibleQuotasError`` (the other engineer's diagnosis explains why)."""
    found = solver.best(np.zeros(solver.model.num_types))
    if found is None:
        raise InfeasibleQuotasError()
    return found[0]


def find_panel(instance: Instance, weights: Mapping[str, float] | None = None) -> Panel | None:
    """The feasible panel with the largest total weight (all weights 0 when None), or None if none exists.

    Quotas, the household rule and already-selected members are all respected.
    """
    model = build_type_model(instance, merge_identical=False)
    by_id = weights or {}
    vector = np.array([float(by_id.get(ids[0], 0.0)) for ids in model.members])
    found = PanelSolver(model).best(vector)
    if found is None:
        return None
    return tuple(sorted(model.members[t][0] for t in np.flatnonzero(found[0])))


def check_panel(instance: Instance, panel: Panel) -> list[str]:
    """Every way ``panel`` breaks the rules, in plain words (empty when it is a valid panel)."""
    people = {p.id: p for p in instance.people}
    problems = [f"{pid} is not in the pool." for pid in panel if pid not in people]
    members = [people[pid] for pid in panel if pid in people]
    if len(set(panel)) != len(panel):
        problems.append("The panel lists someone twice.")
    if len(panel) != instance.panel_size:
        problems.append(f"The panel has {len(panel)} members but should have {instance.panel_size}.")
    for quota in instance.quotas:
        count = sum(1 for p in members if p.features.get(quota.feature) == quota.value)
        if count < quota.min:
            problems.append(f"{quota.feature} {quota.value}: {count} members, at least {quota.min} needed.")
        if count > quota.max:
            problems.append(f"{quota.feature} {quota.value}: {count} members, at most {quota.max} allowed.")
    households: dict[str, list[str]] = {}
    for p in members:
        if p.household is not None:
            households.setdefault(p.household, []).append(p.id)
    for ids in households.values():
        if len(ids) > 1:
            problems.append(
                f"{' and '.join(sorted(ids))} share a household; at most one may sit on the panel."
            )
    missing = sorted(instance.already_selected - set(panel))
    if missing:
        problems.append(f"Already-selected {', '.join(missing)} missing from the panel.")
    return problems


def initial_panels(
    solver: PanelSolver, search: SwapSearch, count_random: int, seed: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Diverse starting panels and which types any panel can include at all.

    Local search under seeded random weights gives variety cheaply. Then, while some type is on no
    panel yet, panels rewarding only those types are sought, first by local search, then by the MILP,
    which either covers at least one more or proves the rest can never be chosen (quotas or
    households exclude them), as in Flanigan et al. (2021).
    """
    model = solver.model
    rng = np.random.default_rng(seed)
    panels = [require_feasible(solver)]
    for _ in range(count_random):
        panels.append(search.improve(panels[-1], rng.random(model.num_types)))
    covered = np.any(np.array(panels) > 0, axis=0)
    while not covered.all():
        reward = np.where(covered, 0.0, 1.0 / model.sizes) * (1.0 + 0.1 * rng.random(model.num_types))
        candidate = search.improve(panels[int(rng.integers(len(panels)))], reward)
        if not np.any(candidate[~covered] > 0):
            found = solver.best(reward)
            if found is None or not np.any(found[0][~covered] > 0):
                break
            candidate = found[0]
        panels.append(candidate)
        covered |= candidate > 0
    unique = {p.tobytes(): p for p in panels}
    return list(unique.values()), covered
