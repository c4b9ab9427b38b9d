"""Fair algorithms versus brute force: all valid panels of a tiny pool enumerated, LPs solved directly."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from instances import make_instance, odd_cycle_instance
from scipy.optimize import linprog

from civicforum.selection import (
    Algorithm,
    InfeasibleQuotasError,
    Instance,
    SelectionSettings,
    check_panel,
    find_distribution,
    find_panel,
)
from civicforum.selection.algorithms.compression import PanelBounds, _share_type, build_type_model
from civicforum.selection.algorithms.heuristic import SwapSearch, _rounded
from civicforum.selection.algorithms.leximin import _column_generation
from civicforum.selection.algorithms.panels import PanelSolver, initial_panels
from civicforum.selection.algorithms.relaxation import _rule_matrix, face_of

FAIR = [Algorithm.LEXIMIN, Algorithm.MAXIMIN, Algorithm.NASH, Algorithm.GOLDILOCKS]


def all_valid_panels(instance: Instance) -> list[tuple[str, ...]]:
    ids = sorted(p.id for p in instance.people)
    return [
        panel
        for panel in itertools.combinations(ids, instance.panel_size)
        if not check_panel(instance, panel)
    ]


def brute_force_leximin(instance: Instance, panels: list[tuple[str, ...]]) -> dict[str, float]:
    """Leximin profile by LPs over all panels, fixing one person at a time when they cannot rise."""
    ids = sorted({pid for panel in panels for pid in panel})
    matrix = np.array([[pid in panel for panel in panels] for pid in ids], dtype=float)
    fixed: dict[int, float] = {}
    while len(fixed) < len(ids):
        free = [i for i in range(len(ids)) if i not in fixed]
        value = _best_floor(matrix, fixed, free)
        for i in free:
            if _can_rise(matrix, fixed, free, value, i):
                continue
            fixed[i] = value
    return {pid: fixed[i] for i, pid in enumerate(ids)}


def _constraints(matrix, fixed, free, floor):
    rows, bounds = [], []
    for i, value in fixed.items():
        rows.append(-matrix[i]), bounds.append(-value + 1e-9)
    for i in free:
        rows.append(-matrix[i]), bounds.append(-floor + 1e-9)
    return rows, bounds


def _best_floor(matrix, fixed, free) -> float:
    count = matrix.shape[1]
    cost = np.zeros(count + 1)
    cost[-1] = -1
    rows = [np.append(-matrix[i], 1.0) for i in free] + [np.append(-matrix[i], 0.0) for i in fixed]
    bounds = [0.0] * len(free) + [-v + 1e-9 for v in fixed.values()]
    result = linprog(
        cost, A_ub=rows, b_ub=bounds, A_eq=[np.append(np.ones(count), 0)], b_eq=[1], bounds=(0, None)
    )
    return float(result.x[-1])


def _can_rise(matrix, fixed, free, floor, person) -> bool:
    rows, bounds = _constraints(matrix, fixed, free, floor)
    count = matrix.shape[1]
    result = linprog(
        -matrix[person], A_ub=rows, b_ub=bounds, A_eq=[np.ones(count)], b_eq=[1], bounds=(0, None)
    )
    return -result.fun > floor + 1e-7


def _feature_rows(draw, size: int) -> tuple[tuple[tuple[str, str], ...], list[tuple[str, ...]]]:
    """Two or three small features and ``size`` people's values for them."""
    features = (("f0", "ab"), ("f1", "xyz"), ("f2", "pq"))[: draw(st.integers(2, 3))]
    return features, [tuple(draw(st.sampled_from(values)) for _, values in features) for _ in range(size)]


@st.composite
def tiny_instances(draw) -> Instance:
    """Two or three features: with three, quota systems whose relaxation has fractional vertices occur."""
    size = draw(st.integers(3, 7))
    features, rows = _feature_rows(draw, size)
    panel_size = draw(st.integers(1, size - 1))
    quotas = {}
    for feature, values in features:
        for value in values:
            low = draw(st.integers(0, panel_size))
            quotas[(feature, value)] = (low, draw(st.integers(low, panel_size)))
    shared = draw(st.lists(st.integers(0, size - 1), max_size=3, unique=True))
    households = {i: "home" for i in shared} if len(shared) > 1 else {}
    forced = draw(st.sets(st.integers(0, size - 1), max_size=1))
    return make_instance(rows, quotas, panel_size, households, frozenset(f"p{i}" for i in forced))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances())
def test_every_algorithm_gives_valid_panels_or_reports_infeasible_quotas(instance: Instance) -> None:
    valid = all_valid_panels(instance)
    quick = SelectionSettings(legacy_runs=20, initial_random_panels=2)
    for algorithm in [*FAIR, Algorithm.LEGACY]:
        if not valid:
            with pytest.raises(InfeasibleQuotasError):
                find_distribution(instance, algorithm, settings=quick)
            assert find_panel(instance) is None
            continue
        result = find_distribution(instance, algorithm, settings=quick)
        assert all(panel in valid for panel in result.panels)
        assert sum(result.panel_probabilities) == pytest.approx(1.0, abs=1e-9)
        assert sum(result.selection_probabilities.values()) == pytest.approx(instance.panel_size, abs=1e-7)
        assert all(instance.already_selected <= set(panel) for panel in result.panels)
        for person in instance.people:
            chance = sum(
                w
                for panel, w in zip(result.panels, result.panel_probabilities, strict=True)
                if person.id in panel
            )
            assert result.selection_probabilities[person.id] == pytest.approx(chance, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(tiny_instances())
def test_leximin_matches_brute_force_and_its_certificate_holds(instance: Instance) -> None:
    valid = all_valid_panels(instance)
    if not valid:
        return
    result = find_distribution(instance, Algorithm.LEXIMIN)
    expected = brute_force_leximin(instance, valid)
    for pid, probability in expected.items():
        if pid not in instance.already_selected:
            assert result.selection_probabilities[pid] == pytest.approx(probability, abs=1e-6)
    never = {p.id for p in instance.people} - set(expected)
    assert all(result.selection_probabilities[pid] == 0 for pid in never)
    assert set(result.certificate["excluded"]) == never

    competing = {pid: p for pid, p in expected.items() if pid not in instance.already_selected}
    if competing:
        prices = result.certificate["prices"]
        assert all(price >= 0 for price in prices.values())
        assert sum(prices.values()) == pytest.approx(1.0, abs=1e-9)
        best_panel_price = max(sum(prices.get(pid, 0.0) for pid in panel) for panel in valid)
        assert best_panel_price == pytest.approx(min(competing.values()), abs=1e-6)
        maximin = find_distribution(instance, Algorithm.MAXIMIN)
        smallest = min(maximin.selection_probabilities[pid] for pid in competing)
        assert smallest == pytest.approx(min(competing.values()), abs=1e-6)


def test_leximin_is_exact_where_the_relaxation_is_not_tight() -> None:
    # Any two of the first three share a feature capped at one seat, so the relaxed fair point (a half
    # for everyone) is out of reach: the last volunteer sits on every panel, the others get a third.
    instance = odd_cycle_instance(members=1, seats_per_value=1)
    expected = brute_force_leximin(instance, all_valid_panels(instance))
    assert expected == pytest.approx({"p0": 1 / 3, "p1": 1 / 3, "p2": 1 / 3, "p3": 1.0})
    for algorithm in (Algorithm.LEXIMIN, Algorithm.MAXIMIN):
        result = find_distribution(instance, algorithm)
        assert result.certificate["method"] == "column generation"
        assert result.certificate["optimal"] is True
        assert min(result.selection_probabilities.values()) == pytest.approx(1 / 3, abs=1e-6)
    assert result.certificate["upper_bound"] == pytest.approx(1 / 3, abs=1e-6)
    leximin = find_distribution(instance, Algorithm.LEXIMIN).selection_probabilities
    assert leximin == pytest.approx(expected, abs=1e-6)


def test_leximin_is_independent_of_row_order() -> None:
    rng = random.Random(7)
    rows = [(rng.choice("ab"), rng.choice("xyz")) for _ in range(40)]
    quotas = {
        ("f0", "a"): (3, 6),
        ("f0", "b"): (3, 6),
        ("f1", "x"): (2, 4),
        ("f1", "y"): (2, 4),
        ("f1", "z"): (2, 4),
    }
    instance = make_instance(rows, quotas, 9, {0: "h", 1: "h", 5: "g", 6: "g"}, frozenset({"p3"}))
    shuffled = Instance(
        tuple(rng.sample(instance.people, len(instance.people))),
        instance.quotas,
        9,
        instance.already_selected,
    )
    first, second = find_distribution(instance), find_distribution(shuffled)
    assert first.panels == second.panels
    assert first.panel_probabilities == second.panel_probabilities
    assert first.selection_probabilities["p3"] == pytest.approx(1.0)


@st.composite
def instances_with_a_panel(draw) -> Instance:
    """Quotas a few seats around one drawn panel's counts, so valid panels exist."""
    size = draw(st.integers(5, 9))
    features, rows = _feature_rows(draw, size)
    panel_size = draw(st.integers(2, size - 2))
    chosen = draw(st.lists(st.integers(0, size - 1), min_size=panel_size, max_size=panel_size, unique=True))
    quotas = {}
    for j, (feature, values) in enumerate(features):
        for value in values:
            seats = sum(rows[i][j] == value for i in chosen)
            quotas[(feature, value)] = (
                max(0, seats - draw(st.integers(0, 1))),
                seats + draw(st.integers(0, 1)),
            )
    return make_instance(rows, quotas, panel_size)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_with_a_panel(), st.randoms(use_true_random=False))
def test_repairing_a_panel_onto_another_panels_quota_totals_gives_a_valid_panel_there(
    instance: Instance, rng: random.Random
) -> None:
    """The peeling's repair: whatever it returns meets the tightened bounds and is still a valid panel."""
    valid = all_valid_panels(instance)
    if len(valid) < 2:
        return
    model = build_type_model(instance)
    type_of = {pid: t for t, ids in enumerate(model.members) for pid in ids}

    def counts(panel: tuple[str, ...]) -> np.ndarray:
        return np.bincount([type_of[pid] for pid in panel], minlength=model.num_types)

    start, target = rng.sample(valid, 2)
    search = SwapSearch(model)
    totals = search.totals(counts(target))
    rules = model.rules()
    face = PanelBounds(rules.count_low, rules.count_high, totals, totals, rules.household_low)
    repaired = search.repair(counts(start), face)
    if repaired is None:
        return
    assert repaired.sum() == instance.panel_size
    assert np.array_equal(search.totals(repaired), totals)
    panel = tuple(sorted(pid for t in np.flatnonzero(repaired) for pid in model.members[t][: repaired[t]]))
    assert not check_panel(instance, panel)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_with_a_panel(), st.randoms(use_true_random=False))
def test_rounding_a_mix_of_panels_and_repairing_it_gives_a_valid_panel_on_the_mix_s_face(
    instance: Instance, rng: random.Random
) -> None:
    """The walk's and the face pricing's cheap panel: a rounding of a fractional point, repaired, is a
    valid panel on the smallest face holding the point whenever one is returned."""
    valid = all_valid_panels(instance)
    if len(valid) < 2:
        return
    model = build_type_model(instance)
    type_of = {pid: t for t, ids in enumerate(model.members) for pid in ids}
    mixed = rng.sample(valid, min(3, len(valid)))
    weights = np.array([rng.random() + 0.1 for _ in mixed])
    point = sum(
        w * np.bincount([type_of[pid] for pid in panel], minlength=model.num_types)
        for w, panel in zip(weights / weights.sum(), mixed, strict=True)
    )
    face = face_of(model, point, _rule_matrix(model))
    search = SwapSearch(model, face)
    found = search.near(point, np.random.default_rng(rng.randrange(1000)), attempts=4)
    if found is None:
        return
    assert found.sum() == instance.panel_size
    assert np.all((face.count_low <= found) & (found <= face.count_high))
    totals = search.totals(found)
    assert np.all((face.quota_low <= totals) & (totals <= face.quota_high))
    panel = tuple(sorted(pid for t in np.flatnonzero(found) for pid in model.members[t][: found[t]]))
    assert not check_panel(instance, panel)


@given(st.lists(st.floats(0, 3, allow_nan=False), min_size=1, max_size=30), st.floats(0, 0.999), st.randoms())
def test_rounding_keeps_the_seats_and_moves_each_count_by_less_than_one(
    values: list[float], offset: float, rng: random.Random
) -> None:
    point = np.array(values)
    point[-1] += np.ceil(point.sum()) - point.sum()  # a whole number of seats in all
    order = np.array(rng.sample(range(len(point)), len(point)))
    rounded = _rounded(point, order, offset)
    assert rounded.sum() == round(point.sum())
    assert np.all(np.abs(rounded - point) < 1 + 1e-6)
    # Each count goes to its floor or its ceiling, up to float noise. A count just above a whole number
    # (1e-6, say) may still go up: systematic sampling gives it an extra seat with that small chance.
    assert np.all((rounded == np.floor(point + 1e-9)) | (rounded == np.ceil(point - 1e-9)))


def test_the_relaxation_route_matches_level_by_level_column_generation_on_a_mid_sized_pool() -> None:
    """Peeling, stepping back from its dead ends and the face's column generation give the same
    probabilities to every volunteer as the level-by-level route of Flanigan et al."""
    rng = random.Random(3)
    features = ("ab", "xyz", "pqrs", "uv")
    rows = [tuple(rng.choice(values) for values in features) for _ in range(150)]
    panel_size = 16
    quotas = {}
    for j, values in enumerate(features):
        for value in values:
            share = sum(row[j] == value for row in rows) / len(rows) * panel_size
            quotas[(f"f{j}", value)] = (max(0, int(share) - 1), int(share) + 2)
    homes = {i: f"home{i // 2}" for i in range(0, 30)}
    instance = make_instance(rows, quotas, panel_size, homes)
    result = find_distribution(instance, Algorithm.LEXIMIN)
    assert result.certificate["method"] == "relaxation"

    model = build_type_model(instance)
    solver = PanelSolver(model)
    start, coverable = initial_panels(solver, SwapSearch(model), 5, 0)
    active = np.flatnonzero(coverable & ~model.forced)
    exact = _column_generation(
        model,
        solver,
        start,
        active,
        SelectionSettings(),
        lambda *_: None,
        first_level_only=False,
        deadline=None,
    )
    for t, members in enumerate(model.members):
        expected = sum(w * p[t] for p, w in zip(exact.panels, exact.weights, strict=True)) / len(members)
        for pid in members:
            assert result.selection_probabilities[pid] == pytest.approx(expected, abs=1e-6)
    # The concrete panels give each volunteer that same chance (types are split into members evenly).
    assert len(result.panels) < 2 * model.num_types
    chances = dict.fromkeys(result.selection_probabilities, 0.0)
    for panel, weight in zip(result.panels, result.panel_probabilities, strict=True):
        for pid in panel:
            chances[pid] += weight
    for pid, chance in chances.items():
        assert chance == pytest.approx(result.selection_probabilities[pid], abs=1e-9)


@settings(deadline=None)  # like every other property here: a loaded machine overran the 200 ms default
@given(
    st.integers(2, 9).flatmap(
        lambda size: st.lists(
            st.tuples(st.integers(1, size - 1), st.floats(1e-4, 1.0)), min_size=1, max_size=25
        ).map(lambda rows: (size, rows))
    )
)
def test_sharing_a_type_among_its_panels_gives_every_member_the_same_total(case) -> None:
    """Each panel's pieces take its number of distinct members and add up to its weight, and every
    member ends with the same total however uneven the panels' weights and counts."""
    size, rows = case
    counts = np.array([c for c, _ in rows])
    weights = np.array([w for _, w in rows])
    shares = _share_type(size, counts, weights, np.arange(len(rows)))
    totals = np.zeros(size)
    for j, pieces in shares.items():
        assert sum(mass for mass, _ in pieces) == pytest.approx(weights[j], abs=1e-12)
        for mass, members in pieces:
            assert mass > 0
            assert len(set(members.tolist())) == len(members) == counts[j]
            totals[members] += mass
    assert np.allclose(totals, (counts * weights).sum() / size, atol=1e-12)
