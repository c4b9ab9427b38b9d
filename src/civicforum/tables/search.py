"""Local search that seats one session: diversity first, then new faces.

The objective of a session is ``diversity_weight * sum_t sum_v |c_tv/n_t - p_v|`` (much steeper above a
cap set just above the lower bound) plus, for every pair
seated together, the pair's entry of a penalty matrix (pairs who already met in other sessions, and a
prohibitive cost for kept-apart pairs), plus a per-member per-table penalty (tables a member may not
use). Keeping hard rules as prohibitive costs lets one move type serve them all; the caller checks
the result and explains any rule left broken.

Moves swap two members of different tables (or a keep-together group with as many single members of
another table). For a chosen member, the change of the objective for swapping with *every* other
member is computed at once with numpy, from the per-table value counts and from ``seat_cost[a, t]``
(the summed penalty between member ``a`` and everyone at table ``t``), both updated after each swap.
The move is drawn with the Gumbel-max trick, i.e. from a Boltzmann distribution over all swaps of
that member (and staying put) whose temperature falls geometrically: simulated annealing that uses
the whole vectorised neighbourhood instead of one random neighbour per step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

PROHIBITIVE = 1000.0


@dataclass
class SessionProblem:
    """One session's data in 0-based indices; ``units`` are lists of members that sit together."""

    one_hot: np.ndarray  # (members, values) float, one column per value of every diversified feature
    shares: np.ndarray  # (values,) share of each value among the members seated this session
    sizes: np.ndarray  # (tables,) seats filled this session
    pair_penalty: np.ndarray  # (members, members)
    table_penalty: np.ndarray  # (members, tables)
    units: list[list[int]]
    fixed_table: dict[int, int]  # unit index -> table
    diversity_weight: float
    # Diversity cost (sum over tables of sum_v |c_tv/n_t - p_v|) above which every extra unit costs
    # ``over_cap`` times more: a budget just above the lower bound, so mixing cannot erode diversity.
    diversity_cap: float = np.inf
    over_cap: float = 1.0


class SessionSearch:
    """Mutable seating of one session with incremental bookkeeping for fast swap evaluation."""

    def __init__(self, problem: SessionProblem, table_of: np.ndarray) -> None:
        self.problem = problem
        self.table_of = table_of.copy()
        seated = np.flatnonzero(self.table_of >= 0)
        tables = len(problem.sizes)
        self.counts = np.zeros((tables, problem.one_hot.shape[1]))
        np.add.at(self.counts, self.table_of[seated], problem.one_hot[seated])
        # codes[a, f]: column of member a's value of feature f. leave/join_gain[t, k]: change of table
        # t's diversity cost when a member with value column k leaves/joins it; a swap's diversity
        # change is a sum of these over the features where the two members differ.
        self.codes = np.nonzero(problem.one_hot)[1].reshape(problem.one_hot.shape[0], -1)
        self.diversity_total = float(self._table_costs(np.arange(tables)).sum())
        self.leave_gain = np.zeros_like(self.counts)
        self.join_gain = np.zeros_like(self.counts)
        self._update_gains(np.arange(tables))
        # seat_cost[a, t]: penalty of member a sitting at table t given who sits there now (pairs that
        # met before or are kept apart) plus the fixed penalty of the table itself.
        self.seat_cost = problem.table_penalty.copy()
        for table in range(tables):
            at_table = seated[self.table_of[seated] == table]
            self.seat_cost[:, table] += problem.pair_penalty[:, at_table].sum(axis=1)
        self.singles = np.array(
            [u[0] for i, u in enumerate(problem.units) if len(u) == 1 and i not in problem.fixed_table],
            dtype=int,
        )
        self.groups = [
            unit
            for index, unit in enumerate(problem.units)
            if len(unit) > 1 and index not in problem.fixed_table
        ]
        # The same figures restricted to the movable single members, kept in step on every exchange.
        self.single_index = np.full(len(self.table_of), -1)
        self.single_index[self.singles] = np.arange(len(self.singles))
        self.single_codes = self.codes[self.singles]
        self.single_pair_penalty = problem.pair_penalty[:, self.singles]
        self._refresh_singles()

    def _refresh_singles(self) -> None:
        self.single_tables = self.table_of[self.singles]
        self.single_leave = self.leave_gain[self.single_tables[:, None], self.single_codes]
        self.single_seat_cost = self.seat_cost[self.singles]
        self.single_own_cost = self.single_seat_cost[np.arange(len(self.singles)), self.single_tables]

    def _table_costs(self, tables: np.ndarray) -> np.ndarray:
        sizes = self.problem.sizes[tables][:, None]
        return np.abs(self.counts[tables] / sizes - self.problem.shares).sum(axis=1)

    def _capped(self, diversity_change: np.ndarray | float) -> np.ndarray | float:
        """Objective change for a change of the diversity cost, steeper beyond the cap."""
        p = self.problem
        headroom = p.diversity_cap - self.diversity_total
        over = np.maximum(diversity_change - headroom, 0) - max(-headroom, 0)
        return p.diversity_weight * (diversity_change + p.over_cap * over)

    def _update_gains(self, tables: np.ndarray) -> None:
        sizes = self.problem.sizes[tables][:, None]
        now = np.abs(self.counts[tables] / sizes - self.problem.shares)
        self.leave_gain[tables] = np.abs((self.counts[tables] - 1) / sizes - self.problem.shares) - now
        self.join_gain[tables] = np.abs((self.counts[tables] + 1) / sizes - self.problem.shares) - now

    def single_swap_deltas(self, member: int) -> np.ndarray:
        """Objective change of swapping ``member`` with each movable single (inf: same table)."""
        here = self.table_of[member]
        mine = self.codes[member]
        differ = self.single_codes != mine
        diversity = (
            (self.leave_gain[here, mine] + self.join_gain[here][self.single_codes])
            + (self.single_leave + self.join_gain[:, mine][self.single_tables])
        ) * differ
        seat = self.seat_cost[member]
        deltas = (
            self._capped(diversity.sum(axis=1))
            + seat[self.single_tables]
            - seat[here]
            + self.single_seat_cost[:, here]
            - self.single_own_cost
            - 2 * self.single_pair_penalty[member]
        )
        deltas[self.single_tables == here] = np.inf
        return deltas

    def exchange_delta(self, leaving: Sequence[int], joining: Sequence[int]) -> float:
        """Objective change when ``leaving`` (all at one table) swaps with ``joining`` (all at another)."""
        p = self.problem
        here, there = self.table_of[leaving[0]], self.table_of[joining[0]]
        change = p.one_hot[joining].sum(axis=0) - p.one_hot[leaving].sum(axis=0)
        pair = np.array([here, there])
        new_costs = np.abs(
            (self.counts[pair] + np.stack([change, -change])) / p.sizes[pair][:, None] - p.shares
        ).sum()
        old_costs = self._table_costs(pair).sum()
        leave, join = np.asarray(leaving), np.asarray(joining)
        seating = (
            self.seat_cost[leave, there].sum()
            - self.seat_cost[leave, here].sum()
            + self.seat_cost[join, here].sum()
            - self.seat_cost[join, there].sum()
            - 2 * p.pair_penalty[np.ix_(leave, join)].sum()
        )
        return float(self._capped(new_costs - old_costs) + seating)

    def exchange(self, leaving: Sequence[int], joining: Sequence[int]) -> None:
        p = self.problem
        here, there = self.table_of[leaving[0]], self.table_of[joining[0]]
        leave, join = np.asarray(leaving), np.asarray(joining)
        change = p.one_hot[join].sum(axis=0) - p.one_hot[leave].sum(axis=0)
        pair = np.array([here, there])
        self.diversity_total -= float(self._table_costs(pair).sum())
        self.counts[here] += change
        self.counts[there] -= change
        self.diversity_total += float(self._table_costs(pair).sum())
        self._update_gains(np.array([here, there]))
        penalty_change = p.pair_penalty[:, join].sum(axis=1) - p.pair_penalty[:, leave].sum(axis=1)
        self.seat_cost[:, here] += penalty_change
        self.seat_cost[:, there] -= penalty_change
        self.table_of[leave] = there
        self.table_of[join] = here
        self._refresh_singles()

    def _group_move(self, rng: np.random.Generator, temperature: float) -> None:
        """Swap a random group with movable members of another table (singles or whole groups) that
        fill exactly its seats; Metropolis acceptance."""
        group = self.groups[int(rng.integers(len(self.groups)))]
        here = self.table_of[group[0]]
        there = int(rng.integers(len(self.problem.sizes)))
        if there == here:
            return
        units = [[int(m)] for m in self.singles[self.single_tables == there]]
        units += [g for g in self.groups if self.table_of[g[0]] == there]
        joining: list[int] = []
        for index in rng.permutation(len(units)):
            if len(joining) + len(units[index]) <= len(group):
                joining += units[index]
        if len(joining) != len(group):
            return
        delta = self.exchange_delta(group, joining)
        if delta < 0 or (temperature > 0 and rng.random() < np.exp(-delta / temperature)):
            self.exchange(group, joining)

    def anneal(
        self,
        rng: np.random.Generator,
        steps: int,
        start_temperature: float,
        end_temperature: float,
        out_of_time: Callable[[], bool],
    ) -> None:
        """Simulated annealing over swaps, then a greedy descent to a local optimum."""
        if len(self.singles) < 2 and not self.groups:
            return
        movers = len(self.singles) + len(self.groups)
        temperatures = start_temperature * (end_temperature / start_temperature) ** (
            np.arange(1, steps + 1) / max(steps, 1)
        )
        picks = rng.integers(movers, size=steps)
        block = 256  # random draws in blocks: numpy's per-call overhead dominates at this size
        for step in range(steps):
            if step % block == 0:
                if out_of_time():
                    break
                noise = rng.gumbel(size=(block, len(self.singles) + 1))
            temperature = temperatures[step]
            pick = int(picks[step])
            if pick >= len(self.singles):
                self._group_move(rng, temperature)
                continue
            member = int(self.singles[pick])
            row = noise[step % block]
            noisy = self.single_swap_deltas(member) - temperature * row[1:]
            best = int(np.argmin(noisy))
            if noisy[best] < -temperature * row[0]:  # row[0]: the Gumbel draw of staying put
                self.exchange([member], [int(self.singles[best])])
        self.descend(out_of_time)

    def descend(self, out_of_time: Callable[[], bool]) -> None:
        """Best-improvement swaps of single members until none improves the objective."""
        improved = True
        while improved and not out_of_time():
            improved = False
            for member in self.singles:
                deltas = self.single_swap_deltas(int(member))
                best = int(np.argmin(deltas))
                if deltas[best] < -1e-9:
                    self.exchange([int(member)], [int(self.singles[best])])
                    improved = True
