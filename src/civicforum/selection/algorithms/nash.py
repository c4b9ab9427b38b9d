"""NASH: maximise the product of selection probabilities (sum of their logs), Flanigan et al. 2021.

Column generation again: the gradient of ``f(p) = sum_i log pi_i`` with respect to a panel's weight is
``sum_{i in P} 1 / pi_i``, so the pricing MILP weights each volunteer by ``1 / pi_i``. The restricted
problem over the panels found so far is a mixture-proportion likelihood, solved by sequential
quadratic programming (mix-SQP) with Lawson and Hanson's non-negative least squares for each step's
model; no convex modelling library is needed. Concavity gives the stopping proof: ``f* - f(p) <=
max_P grad_P - n``, so dividing by ``n`` bounds how far the log of the geometric mean is from optimal.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ..types import ProgressCallback
from .compression import TypeModel
from .heuristic import SwapSearch
from .leximin import FairOutcome, out_of_time
from .panels import PanelSolver
from .settings import SelectionSettings

_NEWTON_STEPS = 100
_DEPENDENT = 1e-10  # a column whose squared distance from the others' span is below this share of its own
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
    for iteration in range(settings.max_iterations):
        counts = np.array(panels, dtype=float)[:, active]
        weights = _restricted_optimum(counts, sizes[active], weights, settings.nash_tolerance * people / 10)
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
            if found[0].tobytes() in known:  # the restricted problem is solved: only the bound is loose
                break
            improving = [found[0]]
        progress(min(0.99, iteration / 200), f"Nash: {len(panels)} panels, proven gap {gap:.2e}")
        if out_of_time(deadline):
            break
        for panel in improving:
            panels.append(panel)
            known.add(panel.tobytes())
            weights = np.append(weights, 0.0)
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
    counts: np.ndarray, sizes: np.ndarray, weights: np.ndarray, tolerance: float
) -> np.ndarray:
    """Weights on the simplex maximising ``f(w) = sum_t n_t log((counts^T w)_t / n_t)``, to ``tolerance``.

    This is the maximum-likelihood problem for mixture proportions (likelihoods ``counts / sizes``,
    sample weights ``n_t``), solved by sequential quadratic programming as in mix-SQP (Kim, Carbonetto,
    Stephens & Anitescu 2020). With ``N = sum_t n_t``, ``w`` minimises ``phi(w) = N sum(w) - sum_t n_t
    log (counts^T w)_t`` over ``w >= 0`` exactly when it solves the problem on the simplex, because
    ``w . grad_f(w) = N`` for every ``w``. Each step minimises phi's second-order model over ``w >= 0``
    and searches along the line to that point. Every panel seats the same number ``k`` of these types
    (the left-out forced types sit on every panel, the others on none), so the model's linear term
    lies in the range of its Hessian ``A^T A`` (``A[t, P] = counts[P, t] / (sqrt(n_t) pi_t)``) and the
    model is the non-negative least squares problem ``min ||A y - d||`` with ``d_t = sqrt(n_t) (2 - N
    pi_t / k)``. Stops once ``max_P grad_P - N <= tolerance``, the bound on ``f* - f(w)`` that
    concavity gives, or when a step no longer lowers phi.
    """
    people = float(sizes.sum())
    seats = float(counts[0].sum())
    assert np.all(counts.sum(axis=1) == seats)
    root = np.sqrt(sizes)
    for _ in range(_NEWTON_STEPS):
        probabilities = (weights @ counts) / sizes
        gradient = counts @ (1.0 / probabilities)
        if gradient.max() - people <= tolerance:
            break
        target = root * (2.0 - people * probabilities / seats)
        point = _nonnegative_least_squares(counts / (root * probabilities), target, weights, tolerance / 10)
        direction = point - weights
        slope = people * direction.sum() - gradient @ direction  # phi's derivative along the direction
        if not slope < 0:
            break
        current = _phi(counts, sizes, people, weights)
        step = 1.0
        while _phi(counts, sizes, people, weights + step * direction) > current + 1e-4 * step * slope:
            step /= 2
            if step < 1e-12:
                return weights
        weights = weights + step * direction
        weights = weights / weights.sum()  # the lowest phi along the ray through w
    return weights


def _phi(counts: np.ndarray, sizes: np.ndarray, people: float, weights: np.ndarray) -> float:
    """``N sum(w) - sum_t n_t log (counts^T w)_t``, infinite where some type gets no weight."""
    covered = weights @ counts
    if covered.min() <= 0:
        return np.inf
    return float(people * weights.sum() - sizes @ np.log(covered))


def _nonnegative_least_squares(
    rows: np.ndarray, target: np.ndarray, start: np.ndarray, threshold: float
) -> np.ndarray:
    """``argmin ||rows^T y - target||`` over ``y >= 0``, by Lawson and Hanson's active-set method.

    Starts from the feasible ``start``, its support (largest first) as the passive set, less any
    column that depends linearly on those before it. Least squares on the passive set use its Gram
    matrix and that matrix's Cholesky factor: a column joins as one more row of the factor, and when
    columns leave only the factor's rows from the first of them on are computed again (the support's
    order puts the small weights, the likeliest to leave, last). Stops when no other column's gradient
    exceeds ``threshold``.
    """
    right = rows @ target
    guess = np.flatnonzero(start > 0)
    guess = guess[np.argsort(-start[guess], kind="stable")]
    gram = rows[guess] @ rows[guess].T
    factor = _cholesky(gram)
    if factor is None:  # keep the columns independent of the ones before them
        kept: list[int] = []
        factor = np.zeros((0, 0))
        for position in range(len(guess)):
            factor, grown = _grow(factor, gram[kept, position], float(gram[position, position]))
            if grown:
                kept.append(position)
        guess, gram = guess[kept], gram[np.ix_(kept, kept)]
    passive = [int(c) for c in guess]
    solution = start.copy()
    barred = np.zeros(len(rows), dtype=bool)
    entering = -1
    for _ in range(4 * len(rows) + 10):
        while True:  # least squares on the passive set, stepping back where that leaves y >= 0
            trial = linalg.cho_solve((factor, True), right[passive], check_finite=False)
            if not passive or trial.min() > 0:
                solution[:] = 0.0
                solution[passive] = trial
                break
            now = solution[passive]
            ratios = np.full(len(passive), np.inf)
            blocking = trial <= 0
            ratios[blocking] = now[blocking] / (now[blocking] - trial[blocking])
            first = int(np.argmin(ratios))
            moved = now + ratios[first] * (trial - now)
            moved[first] = 0.0
            solution[passive] = np.maximum(moved, 0.0)
            keep = np.flatnonzero(moved > 0)
            passive = [passive[i] for i in keep]
            gram = gram[np.ix_(keep, keep)]
            factor = _refactor(factor, gram, keep)
        if entering >= 0 and entering not in passive:  # rounding pushed it straight out: don't cycle
            barred[entering] = True
        gradient = right - rows @ (solution @ rows)
        gradient[passive] = -np.inf
        gradient[barred] = -np.inf
        entering = int(np.argmax(gradient))
        if gradient[entering] <= threshold:
            break
        cross = (rows @ rows[entering])[passive]
        norm = float(rows[entering] @ rows[entering])
        factor, grown = _grow(factor, cross, norm)
        if not grown:
            barred[entering] = True
            entering = -1
            continue
        passive.append(entering)
        size = len(gram)
        bigger = np.empty((size + 1, size + 1))
        bigger[:size, :size] = gram
        bigger[size, :size] = bigger[:size, size] = cross
        bigger[size, size] = norm
        gram = bigger
    return solution


def _cholesky(gram: np.ndarray) -> np.ndarray | None:
    """The lower Cholesky factor, or None when some column depends (numerically) on those before it."""
    try:
        factor = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError:
        return None
    if len(gram) and np.min(np.diag(factor) ** 2 / np.diag(gram)) <= _DEPENDENT:
        return None
    return factor


def _refactor(factor: np.ndarray, gram: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The Cholesky factor of ``gram``, the Gram matrix of the columns ``keep`` of ``factor``'s.

    Rows before the first column that left stay as they were; the rest come from the Schur
    complement of the leading block.
    """
    lead = int(np.argmax(keep != np.arange(len(keep)))) if len(keep) else 0
    if len(keep) and keep[-1] == len(keep) - 1:  # only columns at the end left
        return factor[: len(keep), : len(keep)].copy()
    reduced = np.zeros((len(keep), len(keep)))
    reduced[:lead, :lead] = factor[:lead, :lead]
    below = factor[keep[lead:], :lead]
    reduced[lead:, :lead] = below
    reduced[lead:, lead:] = np.linalg.cholesky(gram[lead:, lead:] - below @ below.T)
    return reduced


def _grow(factor: np.ndarray, cross: np.ndarray, norm: float) -> tuple[np.ndarray, bool]:
    """The Cholesky factor with one more column (its products with the others, its squared norm).

    Unchanged, and False, when the column is (numerically) a combination of the others.
    """
    size = len(factor)
    row = linalg.solve_triangular(factor, cross, lower=True, check_finite=False) if size else np.zeros(0)
    pivot = norm - float(row @ row)
    if pivot <= _DEPENDENT * norm:
        return factor, False
    grown = np.zeros((size + 1, size + 1))
    grown[:size, :size] = factor
    grown[size, :size] = row
    grown[size, size] = np.sqrt(pivot)
    return grown, True
