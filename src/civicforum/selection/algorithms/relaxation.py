"""LEXIMIN in two cheap steps: the fair point of the relaxed panel polytope, then panels that reach it.

Any distribution over panels has expected type counts ``x`` in the polytope ``Q`` of fractional panels
(``k`` seats, quotas, at most one per household, forced types in full, types no panel can hold at 0).
So the leximin point of ``Q`` is at least as fair as every distribution, and when some distribution
reaches it, that distribution is the LEXIMIN one (the leximin point of a convex set is unique). The
point takes a few LPs with one column per type, not a column generation per level. Only panels on the
smallest face of ``Q`` containing the point can be mixed into it, so ``decompose`` peels panels off the
point along ever smaller faces. Where ``Q`` has fractional vertices that walk can end on a face without
panels; column generation over the small face of a point a few steps back then finishes the split.
When no point of the walk can be split, the caller falls back to exact column generation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from civicforum.highs import quiet_highs

from .compression import PanelBounds, TypeModel
from .heuristic import SwapSearch
from .master import INF, PanelMaster, generate_columns
from .panels import PanelSolver, add_rule_rows

_POSITIVE_DUAL = 1e-6
# A row of Q within this many seats of its bound counts as tight when choosing the face to price over.
_TIGHT = 1e-6
# Local-search starts per pricing round: a split of the point needs up to one panel per type, so
# many columns per round keep the number of LP solves small.
_DECOMPOSITION_STARTS = 10


@dataclass
class RelaxedLeximin:
    """The leximin point of ``Q`` as expected type counts, with the maximin dual prices of its first level.

    ``prices[t]`` >= 0 (summing to 1 over the active types) bound every panel: ``sum_t prices[t] / n_t *
    counts_t <= maximin`` for every integer panel, since that holds on all of ``Q``.
    """

    counts: np.ndarray
    maximin: float
    prices: dict[int, float]
    levels: int


def relaxed_leximin(model: TypeModel, active: np.ndarray, tolerance: float) -> RelaxedLeximin:
    """Leximin over ``Q`` of the active types' probabilities ``x_t / n_t``, level by level.

    Each level maximises the smallest unfixed probability ``z``; types with a positive dual price cannot
    exceed ``z`` in any optimum (complementary slackness) and are fixed there. The prices times ``n_t``
    sum to one, so every level fixes at least one type. Types neither active nor forced get no seat.
    """
    sizes = model.sizes.astype(float)
    num = model.num_types
    rules = model.rules()
    allowed = model.forced.copy()
    allowed[active] = True
    highs = quiet_highs()
    highs.setOptionValue("primal_feasibility_tolerance", 1e-10)
    highs.setOptionValue("dual_feasibility_tolerance", 1e-10)
    high = np.where(allowed, rules.count_high, 0).astype(float)
    highs.addCols(num, np.zeros(num), rules.count_low.astype(float), high, 0, [], [], [])
    level = num
    highs.addCol(1.0, 0.0, INF, 0, np.empty(0, np.int32), np.empty(0))
    add_rule_rows(highs, model, rules)
    row_of: dict[int, int] = {}
    for t in active:
        highs.addRow(0.0, INF, 2, np.array([t, level], np.int32), np.array([1.0, -sizes[t]]))
        row_of[int(t)] = highs.getNumRow() - 1
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    unfixed = set(row_of)
    prices: dict[int, float] = {}
    maximin = 0.0
    levels = 0
    while unfixed:
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError("HiGHS could not solve the relaxed panel LP.")
        solution = highs.getSolution()
        value = float(solution.col_value[level])
        duals = {t: max(0.0, -float(solution.row_dual[row_of[t]])) * float(sizes[t]) for t in unfixed}
        if levels == 0:
            maximin = value
            total = sum(duals.values()) or 1.0
            prices = {t: d / total for t, d in duals.items()}
        levels += 1
        largest = max(duals.values())
        stuck = [t for t, d in duals.items() if d > _POSITIVE_DUAL * max(1.0, largest)]
        for t in stuck or [max(duals, key=duals.__getitem__)]:
            highs.changeCoeff(row_of[t], level, 0.0)
            highs.changeRowBounds(row_of[t], sizes[t] * max(0.0, value - 0.001 * tolerance), INF)
            unfixed.discard(t)
    counts = np.array(highs.getSolution().col_value[:num], dtype=float)
    return RelaxedLeximin(counts, maximin, prices, levels)


def face_of(model: TypeModel, counts: np.ndarray, rows: sparse.csr_matrix) -> PanelBounds:
    """The bounds of the smallest face of ``Q`` holding ``counts``: every row tight there stays tight.

    ``rows`` is ``_rule_matrix(model)``, built once per decomposition.
    """
    rules = model.rules()
    filled = rows @ counts
    totals, homes = filled[: len(model.quota_types)], filled[len(model.quota_types) :]
    return PanelBounds(
        count_low=np.where(counts >= rules.count_high - _TIGHT, rules.count_high, rules.count_low),
        count_high=np.where(counts <= _TIGHT, 0, rules.count_high),
        quota_low=np.where(totals >= rules.quota_high - _TIGHT, rules.quota_high, rules.quota_low),
        quota_high=np.where(totals <= rules.quota_low + _TIGHT, rules.quota_low, rules.quota_high),
        household_low=(homes >= 1 - _TIGHT).astype(np.int64),
    )


@dataclass
class Decomposition:
    """Panels mixing into the target: ``reached`` when every active type gets its target probability."""

    panels: list[np.ndarray]
    weights: np.ndarray
    reached: bool
    generated: list[np.ndarray]


@dataclass
class _Walk:
    """Caratheodory's walk: ``panels[i]`` was peeled off ``points[i]``, and ``points[i + 1]`` is
    ``points[i] + steps[i] * (points[i] - panels[i])``; the last point may have no panel (its face has none)
    or be its panel (the walk ended exactly)."""

    points: list[np.ndarray]
    panels: list[np.ndarray]
    steps: list[float]

    def split(self, back: int) -> tuple[np.ndarray, float]:
        """Weights of ``panels[:back]`` and the share left for ``points[back]`` in the starting point."""
        shares = np.cumprod([1.0] + [1.0 / (1.0 + step) for step in self.steps[:back]])
        weights = shares[:back] * np.array(self.steps[:back]) / (1.0 + np.array(self.steps[:back]))
        return weights, float(shares[back])


def decompose(
    model: TypeModel,
    counts: np.ndarray,
    start: list[np.ndarray],
    *,
    tolerance: float,
    deadline: float | None,
    max_iterations: int,
) -> Decomposition:
    """A distribution over panels with expected counts ``counts``, or the panels tried if none is found.

    Peeling supplies almost every panel. Where ``Q`` has fractional vertices the walk can end on a face
    without panels; it then steps back (16, 64... points) to a point whose face is small but holds
    panels, and column generation over that face splits that point exactly. Only when no point of the
    walk can be split is ``reached`` False.
    """
    solver = PanelSolver(model)
    rows = _rule_matrix(model)
    walk = _peel(model, counts, solver, rows, deadline)
    generated = list(walk.panels)
    last = len(walk.points) - 1
    # Proving that a point cannot be split takes MILPs; a point further back often splits with the
    # panels already found, so every point is first tried with cheap pricing only.
    tries = [(back, cheap) for cheap in (True, False) for back in _backtracks(last)]
    for back, heuristic_only in tries:
        if deadline is not None and time.monotonic() > deadline:
            break
        weights, share = walk.split(back)
        tail = _split_on_face(
            model,
            walk.points[back],
            start + generated,  # later points' panels and failed tries' columns lie on this face too
            solver,
            rows,
            tolerance=tolerance / share,  # a shortfall there moves the final chances by ``share`` times it
            deadline=deadline,
            max_iterations=max_iterations,
            heuristic_only=heuristic_only,
        )
        generated += tail.generated
        if tail.reached:
            panels = walk.panels[:back] + tail.panels
            return Decomposition(panels, np.concatenate([weights, share * tail.weights]), True, generated)
    return Decomposition([], np.empty(0), False, generated)


def _backtracks(last: int) -> list[int]:
    """Points to try splitting, from the walk's end back to its start: each try costs more than the
    last (a bigger face), and a dead end usually needs 10-40 steps back (4 back almost never
    suffices), so the gap grows fourfold from 16."""
    gaps = [0] + [4**power for power in range(2, last.bit_length()) if 4**power < last] + [last]
    return list(dict.fromkeys(last - gap for gap in gaps))


def _split_on_face(
    model: TypeModel,
    point: np.ndarray,
    candidates: list[np.ndarray],
    solver: PanelSolver,
    rows: sparse.csr_matrix,
    *,
    tolerance: float,
    deadline: float | None,
    max_iterations: int,
    heuristic_only: bool = False,
) -> Decomposition:
    """Column generation over the smallest face holding ``point``, from the candidates on that face.

    The master LP minimises the total shortfall ``sum_t s_t`` with ``(A p)_t + s_t >= point_t / n_t``
    over the types the face leaves free (the others are the same in every panel on it), so no type
    can get more than its target once none gets less, since the seats add up to ``k`` either way. The
    MILP's bound proves the smallest shortfall when it stays above zero; ``heuristic_only`` gives up
    where a MILP would be needed.
    """
    face = face_of(model, point, rows)
    on_face = _on_face(candidates, model, face, rows)
    if not on_face:
        return Decomposition([], np.empty(0), False, [])
    free = np.flatnonzero(face.count_low < face.count_high)
    solver.restrict(face)
    master = PanelMaster(model, maximize=True)
    shortfalls = [master.add_variable(-1.0, 0.0, INF) for _ in free]
    master.add_type_rows(free, 1.0, np.array(shortfalls), 1.0, point[free] / model.sizes[free], INF)
    for panel in on_face:
        master.add_panel(panel)
    generate_columns(
        master,
        solver,
        SwapSearch(model, face),
        tolerance=tolerance,
        deadline=deadline,
        max_iterations=max_iterations,
        ceiling=0.0,
        search_starts=_DECOMPOSITION_STARTS,
        heuristic_only=heuristic_only,
    )
    master.solve()  # the run may have stopped with a panel the LP has not seen
    reached = max((master.value(column) for column in shortfalls), default=0.0) <= tolerance
    panels, weights = master.distribution()
    return Decomposition(panels, weights, reached, master.panels)


def _peel(
    model: TypeModel,
    counts: np.ndarray,
    solver: PanelSolver,
    rows: sparse.csr_matrix,
    deadline: float | None,
) -> _Walk:
    """Panels that mix into ``counts``, by Caratheodory's construction.

    Any panel ``P`` on the face of the current point ``x`` gives ``x`` as a mix of ``P`` and
    ``x + t (x - P)``, ``t`` as large as ``Q`` allows; that point lies on a smaller face, so at most one
    panel per dimension is needed. The last panel, repaired by a few swaps, usually lies on the next
    face; else a rounding of the point, repaired, usually does; the MILP finds one when neither does.
    Where ``Q`` has fractional vertices the walk can reach a face without panels, and stops there.
    """
    rules = model.rules()
    row_low = np.concatenate([rules.quota_low, np.zeros(len(model.households))]).astype(float)
    row_high = np.concatenate([rules.quota_high, np.ones(len(model.households))]).astype(float)
    low, high = rules.count_low.astype(float), rules.count_high.astype(float)
    search = SwapSearch(model)
    walk = _Walk([counts.copy()], [], [])
    panel: np.ndarray | None = None
    rng = np.random.default_rng(0)
    for _ in range(model.num_types + 1):
        point = walk.points[-1]
        face = face_of(model, point, rows)
        panel = search.repair(panel, face) if panel is not None else None
        if panel is None:
            search.restrict(face)
            panel = search.near(point, rng)
        if panel is None:
            solver.restrict(face)
            found = solver.best(np.zeros(model.num_types))
            if found is None or (deadline is not None and time.monotonic() > deadline):
                break
            panel = found[0]
        walk.panels.append(panel)
        direction = point - panel
        if np.abs(direction).max() <= _TIGHT:
            break
        step = min(
            _longest_step(point, direction, low, high),
            _longest_step(rows @ point, rows @ direction, row_low, row_high),
        )
        walk.steps.append(step)
        walk.points.append(point + step * direction)
    return walk


def _longest_step(value: np.ndarray, direction: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Largest ``t >= 0`` keeping ``low <= value + t * direction <= high`` (tiny directions ignored)."""
    rising, falling = direction > _TIGHT, direction < -_TIGHT
    limits = np.concatenate(
        [(high - value)[rising] / direction[rising], (value - low)[falling] / -direction[falling]]
    )
    return max(0.0, float(limits.min())) if len(limits) else INF


def _rule_matrix(model: TypeModel) -> sparse.csr_matrix:
    """Quota rows, then household rows, over the type counts."""
    entries = [(j, int(t)) for j, types in enumerate(model.quota_types) for t in types]
    quotas = len(model.quota_types)
    entries += [(quotas + h, t) for h, group in enumerate(model.households) for t in group]
    row, column = np.array(entries, dtype=np.int64).reshape(-1, 2).T
    shape = (quotas + len(model.households), model.num_types)
    return sparse.csr_matrix((np.ones(len(row)), (row, column)), shape=shape)


def _on_face(
    candidates: list[np.ndarray], model: TypeModel, face: PanelBounds, rows: sparse.csr_matrix
) -> list[np.ndarray]:
    """The distinct candidates within ``face``'s bounds (the household rows' upper bound 1 included)."""
    unique = list({panel.tobytes(): panel for panel in candidates}.values())
    if not unique:
        return []
    counts = np.array(unique)
    filled = (rows @ counts.T).T
    quotas = len(model.quota_types)
    totals, homes = filled[:, :quotas], filled[:, quotas:]
    inside = (
        np.all((face.count_low <= counts) & (counts <= face.count_high), axis=1)
        & np.all((face.quota_low <= totals) & (totals <= face.quota_high), axis=1)
        & np.all((face.household_low <= homes) & (homes <= 1), axis=1)
    )
    return [panel for panel, keep in zip(unique, inside, strict=True) if keep]
