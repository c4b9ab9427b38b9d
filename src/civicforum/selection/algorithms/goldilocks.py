"""GOLDILOCKS: no volunteer's chance too low, none too high.

Baharav and Flanigan, "Fair, Manipulation-Robust, and Transparent Sortition" (2024, arXiv:2406.15009;
the Goldilocks objective extends the manipulation-robustness line of Flanigan, Liang, Procaccia and
Wang, AAAI 2024) minimise

    Goldilocks_gamma(pi) = max_i pi_i / (k/n) + gamma * max_i (k/n) / pi_i

i.e. the largest probability relative to the equal share k/n plus gamma times the largest
shortfall ratio. We solve it exactly in the LP  min (n/k) u + gamma (k/n) s  with  l <= pi_i <= u
and  s >= 1/l, the convex term 1/l being approximated from below by tangent cuts
s >= 2/l0 - l/l0^2 added at each LP optimum (Kelley's cutting planes), while column generation
prices new panels with weights (dual of pi_i >= l) - (dual of pi_i <= u).
"""

from __future__ import annotations

import numpy as np

from ..types import ProgressCallback
from .compression import TypeModel
from .heuristic import SwapSearch
from .leximin import FairOutcome, out_of_time, type_probabilities
from .master import INF, PanelMaster, generate_columns
from .panels import PanelSolver
from .settings import SelectionSettings

_SMALLEST_FLOOR = 1e-6


def goldilocks(
    model: TypeModel,
    solver: PanelSolver,
    start: list[np.ndarray],
    active: np.ndarray,
    settings: SelectionSettings,
    progress: ProgressCallback,
    *,
    deadline: float | None,
) -> FairOutcome:
    """Goldilocks-optimal distribution over type panels (objective within ``settings.tolerance``)."""
    share = model.instance.panel_size / len(model.instance.people)
    gamma = settings.goldilocks_gamma
    search = SwapSearch(model)
    master = PanelMaster(model, maximize=False)
    ceiling = master.add_variable(1.0 / share, 0.0, 1.0)
    floor = master.add_variable(0.0, _SMALLEST_FLOOR, 1.0)
    inverse = master.add_variable(gamma * share, 0.0, INF)
    master.add_type_rows(active, 1.0, floor, -1.0, 0.0, INF)
    master.add_type_rows(active, -1.0, ceiling, 1.0, 0.0, INF)
    for counts in start:
        master.add_panel(counts)
    _add_tangent(master, floor, inverse, share)
    optimal = False
    for cut in range(settings.max_iterations):
        pricing = generate_columns(
            master,
            solver,
            search,
            tolerance=settings.tolerance,
            deadline=deadline,
            max_iterations=settings.max_iterations,
        )
        lower_bound = master.solve() - pricing.gap
        panels, weights = master.distribution()
        probabilities = type_probabilities(model, panels, weights)[active]
        achieved = probabilities.max() / share + gamma * share / probabilities.min()
        progress(min(0.99, cut / 20), f"Goldilocks: objective {achieved:.6f}, bound {lower_bound:.6f}")
        optimal = pricing.optimal and achieved - lower_bound <= settings.tolerance * max(1.0, achieved)
        if optimal or not pricing.optimal or out_of_time(deadline):
            break
        _add_tangent(master, floor, inverse, max(_SMALLEST_FLOOR, master.value(floor)))
    panels, weights = master.distribution()
    certificate: dict[str, object] = {
        "kind": "goldilocks lower bound",
        "gamma": gamma,
        "objective": float(achieved),
        "lower_bound": float(lower_bound),
        "optimal": bool(optimal),
    }
    return FairOutcome(panels, weights, certificate)


def _add_tangent(master: PanelMaster, floor: int, inverse: int, at: float) -> None:
    """Cut ``s >= 1/at - (l - at)/at^2``, the tangent of ``1/l`` at ``at``."""
    master.add_row(2.0 / at, INF, [inverse, floor], [1.0, 1.0 / at**2])
