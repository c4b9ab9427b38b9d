"""NASH's restricted problem: the SQP solver against a long EM run, closed forms and its own certificate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import nnls

from civicforum.selection.algorithms.nash import _nonnegative_least_squares, _restricted_optimum


def welfare(counts: np.ndarray, sizes: np.ndarray, weights: np.ndarray) -> float:
    return float(sizes @ np.log((weights @ counts) / sizes))


def excess(counts: np.ndarray, sizes: np.ndarray, weights: np.ndarray) -> float:
    """``max_P grad_P - N``: the concavity bound on how far ``weights`` is from optimal."""
    return float((counts @ (sizes / (weights @ counts))).max() - sizes.sum())


def long_em(counts: np.ndarray, sizes: np.ndarray, steps: int = 20_000) -> np.ndarray:
    """The multiplicative (EM) update the solver replaced, run far longer than NASH could afford."""
    weights = np.full(len(counts), 1.0 / len(counts))
    for _ in range(steps):
        weights = weights * (counts @ (sizes / (weights @ counts))) / sizes.sum()
        weights /= weights.sum()
    return weights


@st.composite
def restricted_problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Type counts of a few panels that all seat ``k`` people, every type on some panel."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    types = draw(st.integers(2, 7))
    sizes = rng.integers(1, 4, size=types)
    seats = draw(st.integers(1, int(sizes.sum())))
    wanted = draw(st.integers(1, 12))
    panels: list[np.ndarray] = []
    while len(panels) < wanted or not (np.array(panels).sum(axis=0) > 0).all():
        panel = np.zeros(types, dtype=int)
        for _ in range(seats):
            panel[rng.choice(np.flatnonzero(panel < sizes))] += 1
        panels.append(panel)
    return np.array(panels, dtype=float), sizes.astype(float)


@settings(max_examples=150, deadline=None)
@given(restricted_problems())
def test_the_solver_proves_its_optimum_and_matches_a_long_em_run(problem) -> None:
    counts, sizes = problem
    start = np.full(len(counts), 1.0 / len(counts))
    tolerance = 1e-7 * sizes.sum()
    weights = _restricted_optimum(counts, sizes, start, tolerance)
    assert (weights >= 0).all()
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert excess(counts, sizes, weights) <= tolerance
    reference = long_em(counts, sizes)
    found, em = welfare(counts, sizes, weights), welfare(counts, sizes, reference)
    assert em - tolerance <= found <= em + excess(counts, sizes, reference) + 1e-9  # both bounds: concavity
    again = _restricted_optimum(counts, sizes, start, tolerance)
    assert again.tobytes() == weights.tobytes()


def test_panels_of_one_type_each_get_their_type_s_share() -> None:
    # Maximising sum_t n_t log(k w_t / n_t) on the simplex gives w_t = n_t / N.
    sizes = np.array([1.0, 2.0, 5.0, 12.0])
    counts = 3 * np.eye(4)
    weights = _restricted_optimum(counts, sizes, np.full(4, 0.25), 1e-9)
    np.testing.assert_allclose(weights, sizes / sizes.sum(), atol=1e-9)


def test_a_panel_with_no_weight_yet_joins_when_it_helps() -> None:
    # Panels seat 2 of 3 single-member types; the fair mix (each type 2/3) needs all three panels.
    counts = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    sizes = np.ones(3)
    weights = _restricted_optimum(counts, sizes, np.array([0.5, 0.5, 0.0]), 1e-10)
    np.testing.assert_allclose(weights, np.full(3, 1 / 3), atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.integers(1, 15), st.booleans())
def test_nonnegative_least_squares_reaches_scipy_s_residual(seed, length, columns, repeated) -> None:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(columns, length))
    if repeated and columns > 1:  # linearly dependent columns, as when panels outnumber types
        rows[-1] = 0.5 * rows[0] + 0.5 * rows[1 % (columns - 1)]
    target = rng.normal(size=length)
    start = np.where(rng.random(columns) < 0.5, rng.random(columns), 0.0)
    solution = _nonnegative_least_squares(rows, target, start, 1e-12)
    exact, best = nnls(rows.T, target)
    assert (solution >= 0).all()
    scale = 1 + np.linalg.norm(exact) * np.linalg.norm(rows)  # normal equations lose digits as it grows
    assert np.linalg.norm(rows.T @ solution - target) == pytest.approx(best, abs=1e-9 * scale)
