"""The restricted master LP of column generation: a distribution over the panels found so far.

One HiGHS model lives for the whole run. New panels arrive as columns (``addCol``) and fixing a
probability level only edits a row, so every re-solve warm-starts from the previous basis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from civicforum.highs import quiet_highs

from .compression import TypeModel
from .heuristic import SwapSearch
from .panels import PanelSolver

_SEARCH_STARTS = 3
# Local-search panels must beat the threshold by this fraction: barely improving columns make column
# generation crawl, and the MILP (stopping at 1% better, or proving none exists) does better then.
_SEARCH_MARGIN = 0.01

INF = highspy.kHighsInf


class PanelMaster:
    """LP whose columns are panels (type counts) plus a few algorithm-specific variables.

    Rows tie each type's selection probability ``(A p)_t = sum_P p_P c_tP / n_t`` to those variables;
    the convexity row makes the panel weights a probability distribution.
    """

    def __init__(self, model: TypeModel, *, maximize: bool):
        highs = quiet_highs()
        highs.setOptionValue("primal_feasibility_tolerance", 1e-9)
        highs.setOptionValue("dual_feasibility_tolerance", 1e-9)
        # New columns leave the basis primal feasible: primal simplex without presolve warm-starts best.
        highs.setOptionValue("presolve", "off")
        highs.setOptionValue("simplex_strategy", 4)
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize)
        highs.addRow(1.0, 1.0, 0, np.empty(0, np.int32), np.empty(0))
        self._highs = highs
        self._sense = 1.0 if maximize else -1.0
        self._sizes = model.sizes.astype(float)
        self._rows_of_type: list[list[tuple[int, float]]] = [[] for _ in range(model.num_types)]
        self._panel_columns: list[int] = []
        self.panels: list[np.ndarray] = []
        self._known: set[bytes] = set()
        self._values = np.empty(0)
        self._duals = np.empty(0)

    def add_variable(self, cost: float, lower: float, upper: float) -> int:
        self._highs.addCol(cost, lower, upper, 0, np.empty(0, np.int32), np.empty(0))
        return self._highs.getNumCol() - 1

    def add_row(self, lower: float, upper: float, columns: list[int], values: list[float]) -> int:
        self._highs.addRow(lower, upper, len(columns), np.array(columns, np.int32), np.array(values, float))
        return self._highs.getNumRow() - 1

    def add_type_rows(
        self,
        types: np.ndarray,
        sign: float,
        variable: int | np.ndarray,
        coefficient: float | np.ndarray,
        lower: float | np.ndarray,
        upper: float,
    ) -> dict[int, int]:
        """For each type ``t``: ``lower_t <= sign * (A p)_t + coefficient_t * variable_t <= upper``.

        ``variable``, ``coefficient`` and ``lower`` are each one value for every type or one per entry of
        ``types``. Returns type -> row.
        """
        rows = {}
        count = len(types)
        for t, column, value, low in zip(
            types,
            np.broadcast_to(variable, count),
            np.broadcast_to(coefficient, count),
            np.broadcast_to(lower, count),
            strict=True,
        ):
            row = self.add_row(float(low), upper, [int(column)], [float(value)])
            self._rows_of_type[int(t)].append((row, sign))
            rows[int(t)] = row
        return rows

    def set_bounds(self, column: int, lower: float, upper: float) -> None:
        self._highs.changeColBounds(column, lower, upper)

    def set_row(self, row: int, lower: float, upper: float, variable: int, coefficient: float) -> None:
        self._highs.changeCoeff(row, variable, coefficient)
        self._highs.changeRowBounds(row, lower, upper)

    def add_panel(self, counts: np.ndarray) -> bool:
        """Add a panel as a column; False if it is already there."""
        key = counts.tobytes()
        if key in self._known:
            return False
        self._known.add(key)
        rows, values = [0], [1.0]
        for t in np.flatnonzero(counts):
            for row, sign in self._rows_of_type[t]:
                rows.append(row)
                values.append(sign * counts[t] / self._sizes[t])
        self._highs.addCol(0.0, 0.0, INF, len(rows), np.array(rows, np.int32), np.array(values, float))
        self._panel_columns.append(self._highs.getNumCol() - 1)
        self.panels.append(counts)
        return True

    def solve(self) -> float:
        self._highs.run()
        status = self._highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(
                f"HiGHS could not solve the master LP: {self._highs.modelStatusToString(status)}"
            )
        solution = self._highs.getSolution()
        self._values = np.array(solution.col_value, dtype=float)
        self._duals = np.array(solution.row_dual, dtype=float)
        return float(self._highs.getInfo().objective_function_value)

    def value(self, column: int) -> float:
        return float(self._values[column])

    def row_duals(self) -> np.ndarray:
        return self._duals

    def pricing_weights(self) -> tuple[np.ndarray, float]:
        """Weights ``w`` and threshold ``theta``: a panel improves the LP iff ``w . counts > theta``.

        HiGHS reports reduced costs as ``c - A^T y``; a new panel column has cost 0, so its improvement
        (reduced cost, sign-adjusted for minimisation) is ``w . counts - theta``.
        """
        duals = self.row_duals()
        weights = np.zeros(len(self._sizes))
        for t, rows in enumerate(self._rows_of_type):
            for row, sign in rows:
                weights[t] -= self._sense * duals[row] * sign / self._sizes[t]
        return weights, self._sense * float(duals[0])

    def distribution(self) -> tuple[list[np.ndarray], np.ndarray]:
        """Panels with positive weight and their probabilities (renormalised against round-off)."""
        if len(self._values) < self._highs.getNumCol():
            self.solve()  # a run stopped early (time limit) may have added panels after its last solve
        weights = self._values[self._panel_columns]
        keep = weights > 1e-12
        kept = weights[keep]
        return [p for p, k in zip(self.panels, keep, strict=True) if k], kept / kept.sum()


@dataclass
class Pricing:
    """Outcome of column generation: the proven bound on how much any panel could still improve the LP."""

    gap: float
    optimal: bool
    iterations: int


def generate_columns(
    master: PanelMaster,
    solver: PanelSolver,
    search: SwapSearch,
    *,
    tolerance: float,
    deadline: float | None,
    max_iterations: int,
    ceiling: float = INF,
    search_starts: int = _SEARCH_STARTS,
    heuristic_only: bool = False,
) -> Pricing:
    """Alternate LP and pricing until no panel improves the LP by more than ``tolerance``.

    Local search prices first, from the ``search_starts`` best panels; the MILP runs only when it
    fails, stopping at the first clearly improving panel or else proving the bound. Because the panel
    weights sum to one, the LP objective is within ``gap`` of the optimum over *all* panels, ``gap``
    being the MILP's proven bound on the best improvement. ``ceiling``, a known bound on that optimum,
    ends the run as soon as the LP gets within ``tolerance`` of it. With ``heuristic_only`` the run
    stops, unproven, where the MILP would be needed.
    """
    iterations = 0
    rng = np.random.default_rng(0)
    while True:
        iterations += 1
        objective = master.solve()
        if ceiling - objective <= tolerance:
            return Pricing(max(0.0, ceiling - objective), True, iterations)
        weights, threshold = master.pricing_weights()
        out_of_budget = iterations >= max_iterations or (deadline is not None and time.monotonic() > deadline)
        enough = threshold + max(tolerance, _SEARCH_MARGIN * abs(threshold))
        if not out_of_budget and (
            _add_swapped_panels(master, search, weights, enough, search_starts)
            or _add_rounded_relaxation(master, solver, search, weights, enough, rng)
        ):
            continue
        if heuristic_only:
            return Pricing(INF, False, iterations)
        found = solver.best(weights, threshold + max(tolerance, 0.01 * abs(threshold)))
        if found is None:
            raise RuntimeError("The panel MILP became infeasible during column generation.")
        counts, value, bound = found
        gap = max(0.0, bound - threshold)
        if gap <= tolerance:
            return Pricing(gap, True, iterations)
        if value <= threshold or not master.add_panel(counts) or out_of_budget:
            return Pricing(gap, False, iterations)


def _add_rounded_relaxation(
    master: PanelMaster,
    solver: PanelSolver,
    search: SwapSearch,
    weights: np.ndarray,
    enough: float,
    rng: np.random.Generator,
) -> bool:
    """Add the LP relaxation's best panel, rounded, repaired and improved by swaps, if it beats ``enough``.

    The relaxation costs a millisecond and its rounding is often as good as the MILP's panel, which on
    a small face can take tens of milliseconds to find.
    """
    panel = search.near(solver.relaxed_best(weights), rng, attempts=16)
    if panel is None:
        return False
    panel = search.improve(panel, weights)
    return float(weights @ panel) > enough and master.add_panel(panel)


def _add_swapped_panels(
    master: PanelMaster, search: SwapSearch, weights: np.ndarray, enough: float, starts: int
) -> bool:
    """Add panels beating ``enough`` found by local search from the LP's best panels; True if any."""
    scores = np.array(master.panels) @ weights
    added = False
    for start in np.argsort(-scores, kind="stable")[:starts]:
        improved = search.improve(master.panels[int(start)], weights)
        if float(weights @ improved) > enough and master.add_panel(improved):
            added = True
    return added
