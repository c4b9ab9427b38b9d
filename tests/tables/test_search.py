"""The search's costs are exact: pair penalties equal the change of the plan's mixing scores, and
incremental move costs equal the change of the objective recomputed from scratch."""

from collections import Counter
from itertools import combinations
from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.tables import AllocationSettings, Constraints, Member, compiled
from civicforum.tables.compiled import first_accepted_swap
from civicforum.tables.engine import LOST_MEETING_PENALTY, REPEAT_PENALTY, _Planner
from civicforum.tables.search import PAIR_CACHE_VALUES, SessionProblem, SessionSearch, _gumbel, co_seated


def mixing_cost(plan: list[np.ndarray], repeat_scale: float) -> float:
    """REPEAT_PENALTY (times the plan's repeat scale) per repeat pair plus LOST_MEETING_PENALTY per
    meeting that is not a new pair."""
    meetings = Counter(
        pair
        for tables in plan
        for pair in combinations(range(len(tables)), 2)
        if tables[pair[0]] == tables[pair[1]]
    )
    repeats = sum(count > 1 for count in meetings.values())
    return REPEAT_PENALTY * repeat_scale * repeats + LOST_MEETING_PENALTY * sum(
        count - 1 for count in meetings.values()
    )


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5), st.integers(2, 4))
def test_pair_penalty_is_the_exact_change_of_repeats_and_meetings(seed, sessions, tables):
    rng = np.random.default_rng(seed)
    members = [Member(f"m{i}", {"f": "a"}) for i in range(3 * tables)]
    planner = _Planner(
        members, AllocationSettings(tables=tables, sessions=sessions, diversify=["f"]), Constraints()
    )
    plan = [rng.permutation(np.arange(len(members)) % tables) for _ in range(sessions)]
    replanned = rng.permutation(plan[-1])  # another seating of the last session, same table sizes
    planner.meetings = sum(co_seated(tables_of) for tables_of in plan[:-1])
    penalty = planner.pair_penalty()
    scale = planner.repeat_scale  # below 1 where most pairs must meet twice (sessions=5, tables=2)
    change = mixing_cost([*plan[:-1], replanned], scale) - mixing_cost(plan, scale)
    penalty_change = (penalty * (co_seated(replanned) - co_seated(plan[-1]))).sum() / 2
    assert np.isclose(change, penalty_change)


def objective(problem: SessionProblem, table_of: np.ndarray) -> float:
    """The session objective straight from its definition: capped diversity plus pair and seat costs."""
    tables = len(problem.sizes)
    diversity = sum(
        np.abs(problem.one_hot[table_of == t].sum(axis=0) / problem.sizes[t] - problem.shares).sum()
        for t in range(tables)
    )
    over = max(diversity - problem.diversity_cap, 0)
    together = table_of[:, None] == table_of[None, :]
    np.fill_diagonal(together, False)
    pairs = (problem.pair_penalty * together).sum() / 2
    seats = problem.table_penalty[np.arange(len(table_of)), table_of].sum()
    return problem.diversity_weight * (diversity + problem.over_cap * over) + pairs + seats


@st.composite
def searches(draw):
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    tables = draw(st.integers(2, 4))
    sizes = np.array([draw(st.integers(2, 6)) for _ in range(tables)])
    members = int(sizes.sum())
    columns = []
    # Sometimes a feature of more values than the two-for-two exchanges tabulate (PAIR_CACHE_VALUES).
    for values in (2, 3, 4, PAIR_CACHE_VALUES + 2)[: draw(st.integers(3, 4))]:
        block = np.zeros((members, values))
        block[np.arange(members), rng.integers(values, size=members)] = 1
        columns.append(block)
    one_hot = np.hstack(columns)
    penalty = rng.random((members, members)) * (rng.random((members, members)) < 0.5)
    penalty = penalty + penalty.T
    np.fill_diagonal(penalty, 0)
    problem = SessionProblem(
        one_hot=one_hot,
        shares=one_hot.mean(axis=0),
        sizes=sizes.astype(float),
        pair_penalty=penalty,
        table_penalty=rng.random((members, tables)),
        units=[[m] for m in range(members)],
        fixed_table={},
        diversity_weight=float(sizes.mean()),
        diversity_cap=draw(st.floats(0, 6)),
        over_cap=draw(st.sampled_from([1.0, 4.0, 30.0])),
    )
    return SessionSearch(problem, rng.permutation(np.repeat(np.arange(tables), sizes))), rng


@settings(max_examples=40, deadline=None)
@given(searches())
def test_two_for_two_exchange_costs_are_exact(scenario):
    search, rng = scenario
    before = objective(search.problem, search.table_of)
    for here in range(len(search.problem.sizes)):
        for there in range(here + 1, len(search.problem.sizes)):
            deltas, leaving, joining = search.pair_exchange_deltas(here, there, rng)
            for row in range(deltas.shape[0]):
                for col in range(deltas.shape[1]):
                    moved = search.table_of.copy()
                    moved[leaving[row]] = there
                    moved[joining[col]] = here
                    assert np.isclose(deltas[row, col], objective(search.problem, moved) - before)


@settings(max_examples=20, deadline=None)
@given(searches())
def test_descent_with_exchanges_never_worsens_and_keeps_table_sizes(scenario):
    search, rng = scenario
    sizes = np.bincount(search.table_of, minlength=len(search.problem.sizes))
    before = objective(search.problem, search.table_of)
    search.descend(lambda: False, rng, pair_exchanges=True)
    assert objective(search.problem, search.table_of) <= before + 1e-9
    assert (np.bincount(search.table_of, minlength=len(sizes)) == sizes).all()
    for here in range(len(sizes)):  # a local optimum of exchanges too, though some were skipped unscored
        for there in range(here + 1, len(sizes)):
            deltas, _, _ = search.pair_exchange_deltas(here, there, rng)
            assert deltas.size == 0 or deltas.min() >= -1e-9
    assert (search.least_cost <= search.table_cost + 1e-12).all()


@settings(max_examples=30, deadline=None)
@given(searches())
def test_bookkeeping_after_exchanges_matches_a_fresh_search(scenario):
    """Swaps update the per-table and per-member figures incrementally; they must stay equal to the
    figures of a search built from scratch on the resulting seating."""
    search, rng = scenario
    tables = len(search.problem.sizes)
    for _ in range(12):
        here, there = rng.choice(tables, 2, replace=False)
        leaving = np.flatnonzero(search.table_of == here)
        joining = np.flatnonzero(search.table_of == there)
        count = int(rng.integers(1, min(len(leaving), len(joining), 2) + 1))
        out = rng.choice(leaving, count, replace=False).tolist()
        search.exchange(out, rng.choice(joining, count, replace=False).tolist())
    fresh = SessionSearch(search.problem, search.table_of)
    assert np.isclose(search.diversity_total, fresh.diversity_total)
    for name in ("counts", "table_cost", "leave_gain", "join_gain", "seat_cost"):
        assert np.allclose(getattr(search, name), getattr(fresh, name)), name
    assert (search.single_tables == fresh.single_tables).all()
    everyone = np.arange(len(search.table_of))
    assert np.allclose(search.batch_swap_deltas(everyone), fresh.batch_swap_deltas(everyone))


@settings(max_examples=30, deadline=None)
@given(searches())
def test_batched_swap_costs_are_exact(scenario):
    """Each row of a batch scores every swap of its member against the same seating."""
    search, rng = scenario
    before = objective(search.problem, search.table_of)
    members = rng.choice(search.singles, size=min(5, len(search.singles)))
    deltas = search.batch_swap_deltas(members)
    for row, member in enumerate(members):
        assert np.allclose(deltas[row], search.batch_swap_deltas(np.array([member]))[0])
        for col, other in enumerate(search.singles):
            if search.table_of[other] == search.table_of[member]:
                assert deltas[row, col] == np.inf
                continue
            moved = search.table_of.copy()
            moved[member], moved[other] = moved[other], moved[member]
            assert np.isclose(deltas[row, col], objective(search.problem, moved) - before)


@settings(max_examples=40, deadline=None)
@given(searches(), st.floats(0.01, 3.0))
def test_annealing_step_takes_the_first_member_whose_noisy_best_swap_beats_staying_put(scenario, temperature):
    """The compiled step draws from the Boltzmann distribution by the Gumbel-max trick: each member's
    swap scores less its noise (single precision, times the temperature), the first lowest, against
    the noise of staying put; the first member that moves wins. Members after it are not scored, so
    the step must equal the whole batch's scores read in order."""
    search, rng = scenario
    members = rng.choice(search.singles, size=min(6, len(search.singles)))
    noise = _gumbel(rng, (len(members), len(search.singles) + 1))
    noise[0, 1 + int(rng.integers(len(search.singles)))] = -np.inf  # a draw of U = 0
    scaled = noise * temperature
    noisy = search.batch_swap_deltas(members) - scaled[:, 1:]
    best = noisy.argmin(axis=1)
    moves = np.flatnonzero(noisy[np.arange(len(members)), best] < -scaled[:, 0])
    expected = (int(moves[0]), int(best[moves[0]])) if len(moves) else (-1, -1)
    assert first_accepted_swap(members, noise, temperature, search._scoring_arrays()) == expected


def test_annealing_spends_a_work_budget_so_smaller_sessions_make_more_steps():
    """The same work buys a small session more steps than a big one; the step bounds hold."""
    made = []
    for tables, seats in ((3, 5), (10, 12)):
        rng = np.random.default_rng(0)
        members = tables * seats
        one_hot = np.zeros((members, 5))
        one_hot[np.arange(members), rng.integers(5, size=members)] = 1
        problem = SessionProblem(
            one_hot=one_hot,
            shares=one_hot.mean(axis=0),
            sizes=np.full(tables, float(seats)),
            pair_penalty=np.zeros((members, members)),
            table_penalty=np.zeros((members, tables)),
            units=[[m] for m in range(members)],
            fixed_table={},
            diversity_weight=1.0,
            diversity_cap=10.0,
        )
        start = np.repeat(np.arange(tables), seats)

        def anneal(steps, work, min_steps, problem=problem, start=start):
            search = SessionSearch(problem, start)
            return search.anneal(
                np.random.default_rng(1), 2.0, 0.03, lambda: False, False, steps, work, min_steps
            )

        made.append(anneal(10**9, 20_000.0, 0))
        assert anneal(10**9, 20_000.0, 5_000) >= 5_000
        assert anneal(300, 20_000.0, 0) <= 300
    assert made[0] > made[1] > 0


@settings(max_examples=30, deadline=None)
@given(searches())
def test_exchange_costs_of_a_feature_too_wide_to_cache_are_exact_where_they_could_be_least(scenario):
    """Such a feature's costs are first estimated from the values that change; those that could be the
    least are then worked out exactly, so the descent makes the exchange the exact costs would."""
    search, rng = scenario
    worked_out = compiled.pair_exchange_deltas.py_func  # the same loop, reading the module's constants
    for here, there in combinations(range(len(search.problem.sizes)), 2):
        deltas, out, back = search.pair_exchange_deltas(here, there, rng)
        if not deltas.size:
            continue
        arrays = search._scoring_arrays(), search._bookkeeping(), search._pair_data()
        with patch.object(compiled, "DIVERSITY_ESTIMATE_ERROR", np.inf):  # every cost exact
            exact = worked_out(out, back, False, *arrays)
        assert np.argmin(deltas) == np.argmin(exact)
        assert deltas.min() == exact.min()
        assert np.allclose(deltas, exact, rtol=0, atol=1e-9)
