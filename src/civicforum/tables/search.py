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
the whole vectorised neighbourhood instead of one random neighbour per step. The final descent can
also exchange two members of one table with two of another, all such exchanges of two tables scored
at once: near the diversity bound few single swaps keep diversity, and pairs of swaps find more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

PROHIBITIVE = 1000.0
# Two-for-two exchanges look at up to this many pairs per table (all pairs of tables up to 25 seats).
EXCHANGE_PAIRS = 300


def _some_pairs(members: int, rng: np.random.Generator) -> np.ndarray:
    """(k, 2) positions of every pair of ``members``, or of a random sample of EXCHANGE_PAIRS."""
    if members * (members - 1) // 2 <= EXCHANGE_PAIRS:
        return np.array(list(combinations(range(members), 2)), dtype=int).reshape(-1, 2)
    first = rng.integers(members, size=EXCHANGE_PAIRS)
    second = (first + rng.integers(1, members, size=EXCHANGE_PAIRS)) % members
    return np.stack([first, second], axis=1)


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
        pair_exchanges: bool = False,
    ) -> None:
        """Simulated annealing over swaps, then a greedy descent to a local optimum (of two-for-two
        exchanges too, with ``pair_exchanges``)."""
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
        self.descend(out_of_time, rng, pair_exchanges)

    def descend(
        self, out_of_time: Callable[[], bool], rng: np.random.Generator, pair_exchanges: bool = False
    ) -> None:
        """Best-improvement swaps until none improves the objective; with ``pair_exchanges``, then
        two-for-two exchanges too (slower, and able to leave a local optimum of swaps), until neither
        does."""
        self._single_descent(out_of_time)
        while pair_exchanges and self._pair_exchange_descent(rng, out_of_time):
            self._single_descent(out_of_time)

    def _single_descent(self, out_of_time: Callable[[], bool]) -> None:
        improved = True
        while improved and not out_of_time():
            improved = False
            for member in self.singles:
                deltas = self.single_swap_deltas(int(member))
                best = int(np.argmin(deltas))
                if deltas[best] < -1e-9:
                    self.exchange([int(member)], [int(self.singles[best])])
                    improved = True

    def pair_exchange_deltas(
        self, here: int, there: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Objective change of exchanging two movable singles at ``here`` with two at ``there`` (rows:
        pairs leaving ``here``, columns: pairs leaving ``there``; every pair, or a sample at big
        tables), and the pairs.

        Two-for-two exchanges change two tables' value counts in ways one swap cannot, which is how
        diversity near its lower bound is kept while the tables' membership changes."""
        p = self.problem
        leaving = self.singles[self.single_tables == here]
        joining = self.singles[self.single_tables == there]
        pairs_a = _some_pairs(len(leaving), rng)
        pairs_b = _some_pairs(len(joining), rng)
        out_a = p.one_hot[leaving][pairs_a].sum(axis=1)  # (pairs, values) counts leaving ``here``
        out_b = p.one_hot[joining][pairs_b].sum(axis=1)
        change = out_b[None, :, :] - out_a[:, None, :]
        new_here = np.abs((self.counts[here] + change) / p.sizes[here] - p.shares).sum(axis=2)
        new_there = np.abs((self.counts[there] - change) / p.sizes[there] - p.shares).sum(axis=2)
        diversity = new_here + new_there - self._table_costs(np.array([here, there])).sum()
        move_a = self.seat_cost[leaving, there] - self.seat_cost[leaving, here]
        move_b = self.seat_cost[joining, here] - self.seat_cost[joining, there]
        within_a = p.pair_penalty[leaving[pairs_a[:, 0]], leaving[pairs_a[:, 1]]]
        within_b = p.pair_penalty[joining[pairs_b[:, 0]], joining[pairs_b[:, 1]]]
        cross = p.pair_penalty[np.ix_(leaving, joining)]
        cross_pairs = (
            cross[pairs_a[:, 0]][:, pairs_b[:, 0]]
            + cross[pairs_a[:, 0]][:, pairs_b[:, 1]]
            + cross[pairs_a[:, 1]][:, pairs_b[:, 0]]
            + cross[pairs_a[:, 1]][:, pairs_b[:, 1]]
        )
        seating = (
            (move_a[pairs_a].sum(axis=1) + 2 * within_a)[:, None]
            + (move_b[pairs_b].sum(axis=1) + 2 * within_b)[None, :]
            - 2 * cross_pairs
        )
        return self._capped(diversity) + seating, leaving[pairs_a], joining[pairs_b]

    def _pair_exchange_descent(self, rng: np.random.Generator, out_of_time: Callable[[], bool]) -> bool:
        """One pass of the best improving two-for-two exchange between each two tables; whether any
        was made."""
        changed = False
        for here, there in combinations(range(len(self.problem.sizes)), 2):
            if out_of_time():
                break
            deltas, pairs_a, pairs_b = self.pair_exchange_deltas(here, there, rng)
            if deltas.size == 0:
                continue
            row, col = np.unravel_index(int(np.argmin(deltas)), deltas.shape)
            if deltas[row, col] < -1e-9:
                self.exchange(pairs_a[row].tolist(), pairs_b[col].tolist())
                changed = True
        return changed
