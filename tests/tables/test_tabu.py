"""The plan-wide tabu search: its swap costs are exact, and it keeps every rule and limit it is given."""

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.tables.tabu import PlanTabu, TabuProblem, improve_plan


def random_problem(seed: int, limit_slack: float = np.inf) -> TabuProblem:
    """Random sessions (some members absent), two features, some fixed members, barred tables and
    kept-apart pairs that do not sit together at the start, and meetings from earlier sessions."""
    rng = np.random.default_rng(seed)
    members, tables, sessions = int(rng.integers(6, 21)), int(rng.integers(2, 5)), int(rng.integers(2, 5))
    table_of = np.stack([rng.permutation(members) % tables for _ in range(sessions)])
    table_of[rng.random((sessions, members)) < 0.1] = -1
    for s in range(sessions):  # every table keeps someone
        table_of[s, :tables] = np.arange(tables)
    one_hot = np.hstack([np.eye(3)[rng.integers(0, 3, members)], np.eye(2)[rng.integers(0, 2, members)]])
    movable = (rng.random((sessions, members)) < 0.8) & (table_of >= 0)
    barred = rng.random((sessions, members, tables)) < 0.15
    barred[np.arange(sessions)[:, None], np.arange(members)[None, :], np.maximum(table_of, 0)] = False
    together = (table_of[:, :, None] == table_of[:, None, :]).any(axis=0)
    apart = (rng.random((members, members)) < 0.1) & ~together
    apart = apart | apart.T
    past = rng.integers(0, 2, (members, members)) * (rng.random((members, members)) < 0.2)
    past = np.triu(past, 1) + np.triu(past, 1).T
    unlimited = TabuProblem(
        table_of, past, one_hot, movable, barred, apart, np.inf, np.full(sessions, np.inf)
    )
    if not np.isfinite(limit_slack):
        return unlimited
    totals = PlanTabu(unlimited).table_cost.sum(axis=1)
    return replace(
        unlimited,
        diversity_limit=float(totals.sum()) * (1 + limit_slack),
        session_limits=totals * (1 + 2 * limit_slack),
    )


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000))
def test_swap_costs_and_diversity_changes_are_exact(seed):
    problem = random_problem(seed)
    plan = PlanTabu(problem)
    rng = np.random.default_rng(seed)
    for s in range(plan.table_of.shape[0]):
        movers = plan.movers[s]
        if len(movers) < 2:
            continue
        costs, changes = plan.swap_costs(s), plan.diversity_changes(s)
        i, j = rng.choice(len(movers), size=2, replace=False)
        a, b = int(movers[i]), int(movers[j])
        x = plan.table_of[s]
        tables_after = {a: x[b], b: x[a]}
        breaks_rule = x[a] == x[b] or any(
            problem.barred[s, m, tables_after[m]]
            or any(
                problem.apart[m, other]
                for other in np.flatnonzero(x == tables_after[m])
                if other not in (a, b)
            )
            for m in (a, b)
        )
        assert np.isinf(costs[i, j]) == breaks_rule
        if breaks_rule:
            continue
        before_cost, before_diversity = plan.cost(), plan.diversity_total()
        plan.swap(s, a, b)
        assert plan.cost() - before_cost == costs[i, j]
        assert np.isclose(plan.diversity_total() - before_diversity, changes[i, j])
        fresh = PlanTabu(problem, plan.table_of)
        assert (fresh.meetings == plan.meetings).all() and np.allclose(fresh.table_cost, plan.table_cost)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([0.0, 0.05]))
def test_search_keeps_rules_and_limits_and_never_worsens_the_plan(seed, slack):
    problem = random_problem(seed, slack)
    start = PlanTabu(problem)
    best = improve_plan(problem, np.random.default_rng(seed), work=20_000)
    result = PlanTabu(problem, best)
    assert result.cost() <= start.cost()
    assert result.diversity_total() <= problem.diversity_limit + 1e-9
    assert (result.table_cost.sum(axis=1) <= problem.session_limits + 1e-9).all()
    moved = best != problem.table_of
    assert not (moved & ~problem.movable).any()
    for s in range(best.shape[0]):
        assert (
            np.bincount(best[s][best[s] >= 0]) == np.bincount(problem.table_of[s][problem.table_of[s] >= 0])
        ).all()
        assert not problem.barred[s, np.flatnonzero(moved[s]), best[s][moved[s]]].any()
        together = (best[s][:, None] == best[s][None, :]) & (best[s] >= 0)[:, None]
        assert not (together & problem.apart).any()


def test_search_removes_a_repeat_pair_when_a_free_swap_does():
    # Two sessions seat {0,1} and {2,3} together; four identical members, so swapping 1 and 2 in the
    # second session costs no diversity and turns two repeat pairs into four new meetings.
    table_of = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
    one_hot = np.ones((4, 1))
    problem = TabuProblem(
        table_of=table_of,
        past_meetings=np.zeros((4, 4), dtype=int),
        one_hot=one_hot,
        movable=np.ones((2, 4), dtype=bool),
        barred=np.zeros((2, 4, 2), dtype=bool),
        apart=np.zeros((4, 4), dtype=bool),
        diversity_limit=0.0,
        session_limits=np.zeros(2),
    )
    best = improve_plan(problem, np.random.default_rng(0), work=10_000)
    assert PlanTabu(problem, best).cost() == -0.75 * 4  # no repeat pair, four distinct meetings
