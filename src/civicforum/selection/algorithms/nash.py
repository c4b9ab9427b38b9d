"""NASH: maximise the product of selection probabilities (sum of their logs), Flanigan et al. 2021.

Column generation again: the gradient of ``f(p) = sum_i log pi_i`` with respect to a panel's weight is
``sum_{i in P} 1 / pi_i``, so the pricing MILP weights each volunteer by ``1 / pi_i``. The restricted
problem over the panels found so far is solved by the EM (multiplicative) update
``p_P <- p_P * grad_P / n``, which stays on the simplex and increases ``f`` monotonically; no convex
modelling library is needed. Concavity gives the stopping proof: ``f* - f(p) <= max_P grad_P - n``,
so dividing by ``n`` bounds how far the log of the geometric mean is from optimal.
"""

from __future__ import annotations

import numpy as np

from ..types import ProgressCallback
from .compression import TypeModel
from .heuristic import SwapSearch
from .leximin import FairOutcome, out_of_time
from .panels import PanelSolver
from .settings import SelectionSettings

_EM_STEPS = 400
_SEARCH_STARTS = 3
_SEARCH_MARGIN = 0.001


def nash(
    model: TypeModel,
    solver: PanelSolver,
    start: list[np.ndarray],
    active: np.ndarray,
    settings: SelectionSettings,
    progress: ProgressCallback,
    *,
    deadline: float | None,
) -> FairOutcome:
    """Nash-optimal distribution over type panels, proven within ``settings.nash_tolerance``."""
    sizes = model.sizes.astype(float)
    people = float(sizes[active].sum())
    panels = list(start)
    known = {p.tobytes() for p in panels}
    weights = np.full(len(panels), 1.0 / len(panels))
    gap = np.inf
    search = SwapSearch(model)
    em_steps = _EM_STEPS
    for iteration in range(settings.max_iterations):
        counts = np.array(panels, dtype=float)[:, active]
        weights = _restricted_optimum(
            counts, sizes[active], weights, settings.nash_tolerance * people / 10, em_steps
        )
        probabilities = (weights @ counts) / sizes[active]
        pricing = np.zeros(model.num_types)
        pricing[active] = 1.0 / probabilities
        improving = _swapped_panels(search, panels, pricing, people * (1 + _SEARCH_MARGIN), known)
        if not improving:
            found = solver.best(pricing, people * (1 + _SEARCH_MARGIN))
            assert found is not None
            gap = (found[2] - people) / people
            if gap <= settings.nash_tolerance:
                break
            if found[0].tobytes() in known:  # the restricted problem is not solved well enough yet
                if em_steps > _EM_STEPS:
                    break
                em_steps = _EM_STEPS * 25
                continue
            improving = [found[0]]
        em_steps = _EM_STEPS
        progress(min(0.99, iteration / 200), f"Nash: {len(panels)} panels, proven gap {gap:.2e}")
        if out_of_time(deadline):
            break
        for panel in improving:
            panels.append(panel)
            known.add(panel.tobytes())
            weights = np.append(weights * (1 - 1 / len(panels)), 1 / len(panels))
    keep = weights > 1e-12
    kept = [p for p, k in zip(panels, keep, strict=True) if k]
    weights = weights[keep] / weights[keep].sum()
    probabilities = (np.array(kept, dtype=float).T @ weights) / sizes
    geometric = float(np.exp(np.sum(sizes[active] * np.log(probabilities[active])) / people))
    certificate: dict[str, object] = {
        "kind": "nash gradient bound",
        "relative_gap": float(gap) if np.isfinite(gap) else None,
        "geometric_mean": geometric,
        "optimal": bool(gap <= settings.nash_tolerance),
    }
    return FairOutcome(kept, weights, certificate)


def _swapped_panels(
    search: SwapSearch, panels: list[np.ndarray], pricing: np.ndarray, enough: float, known: set[bytes]
) -> list[np.ndarray]:
    """New panels whose gradient beats ``enough``, by local search from the best known panels."""
    gradients = np.array(panels) @ pricing
    found: dict[bytes, np.ndarray] = {}
    for start in np.argsort(-gradients, kind="stable")[:_SEARCH_STARTS]:
        improved = search.improve(panels[int(start)], pricing)
        if float(pricing @ improved) > enough and improved.tobytes() not in known:
            found[improved.tobytes()] = improved
    return list(found.values())


def _restricted_optimum(
    counts: np.ndarray, sizes: np.ndarray, weights: np.ndarray, tolerance: float, steps: int
) -> np.ndarray:
    """EM iterations on ``max sum_t n_t log((counts^T w)_t / n_t)`` over the simplex."""
    people = sizes.sum()
    for _ in range(steps):
        probabilities = (weights @ counts) / sizes
        gradient = counts @ (1.0 / probabilities)
        if gradient.max() - people <= tolerance:
            break
        weights = weights * gradient / people
        weights /= weights.sum()
    return weights
