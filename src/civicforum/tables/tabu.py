"""Tabu search over the whole plan, run after the sessions are annealed.

The annealing improves one session at a time against the others; near the diversity bound that
leaves repeat pairs it cannot remove, since each swap that would separate a pair costs diversity or
brings another pair together. This pass looks at every session at once, as tabu searches for the
social golfer problem do (Dotu and Van Hentenryck 2005): each step makes the best swap, in any
session, of a member who sits with someone they met elsewhere, even when that swap makes the plan
worse, and a member may not return to the table they left for a few steps, so the search walks
away from local optima instead of circling in them. The plan's diversity stays within a hard limit
throughout, and the best plan seen is kept (bench/RESULTS.md: repeat pairs fall on 38 of 44 panels,
sp_40 129 -> 118, for about 0.5 CPU s).

Scores are exact: the objective is the plan's repeat pairs (times ``repeat_weight``) less
MEETING_WEIGHT per distinct pair that met, and diversity is the summed deviations the D score averages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .search import co_seated

REPEAT_WEIGHT = 1.0
# Per distinct pair that met: M's numerator. Both weights are exact binary fractions, so sums of them
# do not depend on the order a CPU adds them in, and a seed gives the same plan on any machine.
MEETING_WEIGHT = 0.75
TENURE = (5, 15)  # steps a member may not return to the table they left, drawn at random
STAGNATION = 300  # steps without a better plan before restarting from the best one with a kick
KICK_SWAPS = 30  # random swaps (within the limits) tried by a kick
FRUITLESS_KICKS = 3  # the search ends early after this many kicks in a row that find no better plan
# Work units of scoring one session's swaps, fitted like the annealing's (about a microsecond each on
# the benchmark machines: 0.24 ms at 40 members, 1.05 ms at 200; since the per-table sums stopped using
# BLAS, 0.08 and 0.44 ms, but the units stay as fitted so that plans stay as they were): a fixed part
# and a part per member and member scored (every member against the members in repeat pairs, and the
# meetings arrays).
WORK_PER_SESSION = 200.0
WORK_PER_PAIR = 0.016


@dataclass
class TabuProblem:
    """The planned sessions in 0-based arrays; sessions already run enter only as ``past_meetings``."""

    table_of: np.ndarray  # (sessions, members) table of each member, -1 when absent
    past_meetings: np.ndarray  # (members, members) meetings in sessions that are not planned here
    one_hot: np.ndarray  # (members, values)
    movable: np.ndarray  # (sessions, members) single members who are not fixed to a table
    barred: np.ndarray  # (sessions, members, tables) tables a member may not use
    apart: np.ndarray  # (members, members) pairs that must never share a table
    diversity_limit: float  # the plan's summed deviations may not exceed this
    session_limits: np.ndarray  # (sessions,) nor may any session's exceed its own
    repeat_weight: float = REPEAT_WEIGHT  # an exact binary fraction, as MEETING_WEIGHT is


class PlanTabu:
    """A plan with incremental bookkeeping of meetings and per-table value counts."""

    def __init__(self, problem: TabuProblem, table_of: np.ndarray | None = None) -> None:
        self.problem = problem
        self.table_of = (problem.table_of if table_of is None else table_of).copy()
        sessions, members = self.table_of.shape
        self.tables = problem.barred.shape[2]
        self.present = self.table_of >= 0
        self.shares = np.stack(
            [problem.one_hot[self.present[s]].mean(axis=0) for s in range(sessions)]
        )  # each session's own shares, as the D score uses them
        self.sizes = np.stack(
            [np.bincount(self.table_of[s][self.present[s]], minlength=self.tables) for s in range(sessions)]
        ).astype(float)
        self.counts = np.zeros((sessions, self.tables, problem.one_hot.shape[1]))
        for s in range(sessions):
            np.add.at(self.counts[s], self.table_of[s][self.present[s]], problem.one_hot[self.present[s]])
        self.table_cost = np.abs(self.counts / self.sizes[:, :, None] - self.shares[:, None, :]).sum(axis=2)
        self.meetings = problem.past_meetings.astype(np.int32).copy()
        for s in range(sessions):
            self.meetings += co_seated(self.table_of[s])
        self.movers = [np.flatnonzero(problem.movable[s]) for s in range(sessions)]
        # codes[a, f]: the value column of member a's value of feature f (one per feature).
        self.codes = np.nonzero(problem.one_hot)[1].reshape(members, -1)
        # Per session, until it changes: diversity_changes, the movers' table-mates.
        self._diversity_cache: dict[int, np.ndarray] = {}
        self._together_cache: dict[int, np.ndarray] = {}
        # Rules to check in swap_costs: most plans bar no table and keep no one apart.
        self.any_barred = [bool(barred.any()) for barred in problem.barred]
        self.any_apart = bool(problem.apart.any())

    def in_repeat_pair(self, session: int) -> np.ndarray:
        """Which movers of ``session`` sit there with someone they meet more than once."""
        movers = self.movers[session]
        together = self._together_cache.get(session)
        if together is None:  # the movers' rows of co_seated: who shares their table, themselves left out
            x = self.table_of[session]
            together = (x[movers, None] == x[None, :]) & (x[movers, None] >= 0)
            together[np.arange(len(movers)), movers] = False
            self._together_cache[session] = together
        repeated: np.ndarray = (self.meetings[movers] >= 2) & together
        return np.asarray(repeated.any(axis=1))

    def cost(self) -> float:
        """Repeat pairs less MEETING_WEIGHT per distinct pair that met (each pair counted once)."""
        repeats = int((self.meetings >= 2).sum()) // 2
        met = int((self.meetings >= 1).sum()) // 2
        return self.problem.repeat_weight * repeats - MEETING_WEIGHT * met

    def diversity_total(self) -> float:
        return float(self.table_cost.sum())

    def swap_costs(self, session: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Exact change of ``cost`` for swapping movers ``rows`` (positions in
        ``self.movers[session]``; all by default) with every mover of ``session``; inf where the
        swap breaks a rule or stays at one table (``compiled.tabu_swap_costs``)."""
        from civicforum.tables.compiled import tabu_swap_costs

        movers = self.movers[session]
        rows = np.arange(len(movers)) if rows is None else rows
        return tabu_swap_costs(
            rows,
            movers,
            self.table_of[session],
            self.meetings,
            (float(self.problem.repeat_weight), MEETING_WEIGHT),
            self.problem.barred[session],
            self.problem.apart,
            (self.any_barred[session], self.any_apart),
        )

    def diversity_changes(self, session: int) -> np.ndarray:
        """Change of the session's summed deviations for swapping each two movers at different tables
        (cached until the session changes). Feature by feature, where the two hold different values,
        each table loses one value and gains another, and those two terms are independent."""
        cached = self._diversity_cache.get(session)
        if cached is not None:
            return cached
        movers = self.movers[session]
        x = self.table_of[session][movers]
        seat = 1 / self.sizes[session][:, None]
        deviation = self.counts[session] * seat - self.shares[session]
        now = np.abs(deviation)
        leave = np.abs(deviation - seat) - now  # (tables, values): one member with that value leaves
        join = np.abs(deviation + seat) - now
        changes = np.zeros((len(movers), len(movers)))
        for codes in self.codes[movers].T:  # each feature's value column of every mover
            at_own_table = leave[x, codes][:, None] + join[x][:, codes]  # [a, b]: at a's
            at_own_table += at_own_table.T  # and at b's table
            changes += np.where(codes[:, None] != codes[None, :], at_own_table, 0.0)
        self._diversity_cache[session] = changes
        return changes

    def swap(self, session: int, a: int, b: int) -> None:
        """Swap members ``a`` and ``b`` (member indices) in ``session``."""
        self.meetings -= co_seated(self.table_of[session])
        x = self.table_of[session]
        here, there = x[a], x[b]
        x[a], x[b] = there, here
        self.meetings += co_seated(self.table_of[session])
        change = self.problem.one_hot[b] - self.problem.one_hot[a]
        self.counts[session, here] += change
        self.counts[session, there] -= change
        both = [here, there]
        self.table_cost[session, both] = np.abs(
            self.counts[session, both] / self.sizes[session, both][:, None] - self.shares[session]
        ).sum(axis=1)
        for cache in (self._diversity_cache, self._together_cache):
            cache.pop(session, None)

    def room(self, session: int) -> float:
        """How much a swap in ``session`` may raise diversity and keep the plan and the session
        within their limits."""
        plan_room = self.problem.diversity_limit - self.diversity_total()
        session_room = float(self.problem.session_limits[session] - self.table_cost[session].sum())
        return min(plan_room, session_room) + 1e-12


def improve_plan(
    problem: TabuProblem,
    rng: np.random.Generator,
    work: float,
    out_of_time: Callable[[], bool] = lambda: False,
) -> np.ndarray:
    """Tabu search for ``work`` units (or until ``out_of_time``); returns the best ``table_of`` found
    (never worse than the start, and within the diversity limits whenever the start is)."""
    plan = PlanTabu(problem)
    sessions, members = plan.table_of.shape
    if not any(len(movers) > 1 for movers in plan.movers):
        return plan.table_of
    tabu_until = np.zeros((sessions, members, plan.tables), dtype=np.int64)
    best_cost, best_diversity = plan.cost(), plan.diversity_total()
    best = plan.table_of.copy()
    step = last_better = fruitless = 0
    cleared = False
    used = 0.0
    while used < work and fruitless < FRUITLESS_KICKS and not out_of_time():
        step += 1
        current = plan.cost()
        choice: tuple[float, int, int, int] | None = None
        for s in range(sessions):
            movers = plan.movers[s]
            if len(movers) < 2:
                continue
            # Swaps of a member sitting with someone they met elsewhere (the only ones that can
            # remove a repeat), with any other mover.
            rows = np.flatnonzero(plan.in_repeat_pair(s))
            used += WORK_PER_SESSION + WORK_PER_PAIR * members * (members + len(rows))
            if not len(rows):
                continue
            costs = plan.swap_costs(s, rows)
            changes = plan.diversity_changes(s)[rows]
            x = plan.table_of[s][movers]
            tabu_s = tabu_until[s][movers]
            returning = tabu_s[rows][:, x] >= step  # a would go back to a table it left
            returning |= (tabu_s[:, x[rows]] >= step).T  # or b would
            allowed = (changes <= plan.room(s)) & (~returning | (current + costs < best_cost - 1e-9))
            candidates = np.where(allowed, costs, np.inf) + 1e-7 * rng.random(costs.shape)
            k = int(np.argmin(candidates))
            if np.isfinite(candidates.flat[k]) and (choice is None or candidates.flat[k] < choice[0]):
                row, col = np.unravel_index(k, candidates.shape)
                choice = (float(candidates.flat[k]), s, int(movers[rows[row]]), int(movers[col]))
        if choice is None:  # every move is tabu or breaks a limit, or no pair meets twice
            if cleared:
                break
            tabu_until[:] = 0
            cleared = True
            continue
        cleared = False
        _, s, a, b = choice
        left_a, left_b = plan.table_of[s, a], plan.table_of[s, b]
        plan.swap(s, a, b)
        tabu_until[s, a, left_a] = step + rng.integers(TENURE[0], TENURE[1] + 1)
        tabu_until[s, b, left_b] = step + rng.integers(TENURE[0], TENURE[1] + 1)
        cost, diversity = plan.cost(), plan.diversity_total()
        if (cost, diversity) < (best_cost, best_diversity):
            if cost < best_cost - 1e-9:
                last_better, fruitless = step, 0
            best_cost, best_diversity, best = cost, diversity, plan.table_of.copy()
        if step - last_better > STAGNATION:
            plan = _kick(PlanTabu(problem, best), rng)
            tabu_until[:] = 0
            last_better = step
            fruitless += 1
    return best


def _kick(plan: PlanTabu, rng: np.random.Generator) -> PlanTabu:
    """``plan`` after a few random swaps that keep every rule and limit, to restart the search from."""
    for _ in range(KICK_SWAPS):
        s = int(rng.integers(plan.table_of.shape[0]))
        movers = plan.movers[s]
        if len(movers) < 2:
            continue
        i, j = rng.choice(len(movers), size=2, replace=False)
        costs = plan.swap_costs(s)
        if np.isfinite(costs[i, j]) and plan.diversity_changes(s)[i, j] <= plan.room(s):
            plan.swap(s, int(movers[i]), int(movers[j]))
    return plan
