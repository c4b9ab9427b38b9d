"""Local search that seats one session: diversity first, then new faces.

The objective of a session is ``diversity_weight * sum_t sum_v |c_tv/n_t - p_v|`` plus, for every pair
seated together, the pair's entry of a penalty matrix (pairs who already met in other sessions, and a
prohibitive cost for kept-apart pairs), plus a per-member per-table penalty (tables a member may not
use). Keeping hard rules as prohibitive costs lets one move type serve them all; the caller checks
the result and explains any rule left broken.

Moves swap two members of different tables (or a keep-together group with as many single members of
another table). For a chosen member, the change of the objective for swapping with *every* other
member is computed at once with numpy, from the per-table value counts and from ``pair_sums[a, t]``
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


class SessionSearch:
    """Mutable seating of one session with incremental bookkeeping for fast swap evaluation."""

    def __init__(self, problem: SessionProblem, table_of: np.ndarray) -> None:
        self.problem = problem
        self.table_of = table_of.copy()
        seated = np.flatnonzero(self.table_of >= 0)
        tables = len(problem.sizes)
        self.counts = np.zeros((tables, problem.one_hot.shape[1]))
        np.add.at(self.counts, self.table_of[seated], problem.one_hot[seated])
        self.table_cost = self._table_costs(self.counts, problem.sizes)
        self.pair_sums = np.zeros((problem.one_hot.shape[0], tables))
        for table in range(tables):
            at_table = seated[self.table_of[seated] == table]
            self.pair_sums[:, table] = problem.pair_penalty[:, at_table].sum(axis=1)
        self.singles = np.array(
            [u[0] for i, u in enumerate(problem.units) if len(u) == 1 and i not in problem.fixed_table],
            dtype=int,
        )
        self.groups = [
            unit
            for index, unit in enumerate(problem.units)
            if len(unit) > 1 and index not in problem.fixed_table
        ]

    def _table_costs(self, counts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        return np.abs(counts / sizes[:, None] - self.problem.shares).sum(axis=1)

    def single_swap_deltas(self, member: int) -> tuple[np.ndarray, np.ndarray]:
        """Objective change of swapping ``member`` with each single at another table."""
        p = self.problem
        here = self.table_of[member]
        partners = self.singles[self.table_of[self.singles] != here]
        there = self.table_of[partners]
        change = p.one_hot[partners] - p.one_hot[member]
        new_here = np.abs((self.counts[here] + change) / p.sizes[here] - p.shares).sum(axis=1)
        new_there = np.abs((self.counts[there] - change) / p.sizes[there][:, None] - p.shares).sum(axis=1)
        diversity = new_here - self.table_cost[here] + new_there - self.table_cost[there]
        mixing = (
            self.pair_sums[member, there]
            - self.pair_sums[member, here]
            + self.pair_sums[partners, here]
            - self.pair_sums[partners, there]
            - 2 * p.pair_penalty[member, partners]
        )
        forbidden = (
            p.table_penalty[member, there]
            - p.table_penalty[member, here]
            + p.table_penalty[partners, here]
            - p.table_penalty[partners, there]
        )
        return partners, p.diversity_weight * diversity + mixing + forbidden

    def exchange_delta(self, leaving: Sequence[int], joining: Sequence[int]) -> float:
        """Objective change when ``leaving`` (all at one table) swaps with ``joining`` (all at another)."""
        p = self.problem
        here, there = self.table_of[leaving[0]], self.table_of[joining[0]]
        change = p.one_hot[joining].sum(axis=0) - p.one_hot[leaving].sum(axis=0)
        new_costs = self._table_costs(
            np.stack([self.counts[here] + change, self.counts[there] - change]), p.sizes[[here, there]]
        )
        diversity = new_costs.sum() - self.table_cost[here] - self.table_cost[there]
        leave, join = np.asarray(leaving), np.asarray(joining)
        mixing = (
            self.pair_sums[leave, there].sum()
            - self.pair_sums[leave, here].sum()
            + self.pair_sums[join, here].sum()
            - self.pair_sums[join, there].sum()
            - 2 * p.pair_penalty[np.ix_(leave, join)].sum()
        )
        forbidden = (
            p.table_penalty[leave, there].sum()
            - p.table_penalty[leave, here].sum()
            + p.table_penalty[join, here].sum()
            - p.table_penalty[join, there].sum()
        )
        return float(p.diversity_weight * diversity + mixing + forbidden)

    def exchange(self, leaving: Sequence[int], joining: Sequence[int]) -> None:
        p = self.problem
        here, there = self.table_of[leaving[0]], self.table_of[joining[0]]
        leave, join = np.asarray(leaving), np.asarray(joining)
        change = p.one_hot[join].sum(axis=0) - p.one_hot[leave].sum(axis=0)
        self.counts[here] += change
        self.counts[there] -= change
        self.table_cost[[here, there]] = self._table_costs(self.counts[[here, there]], p.sizes[[here, there]])
        penalty_change = p.pair_penalty[:, join].sum(axis=1) - p.pair_penalty[:, leave].sum(axis=1)
        self.pair_sums[:, here] += penalty_change
        self.pair_sums[:, there] -= penalty_change
        self.table_of[leave] = there
        self.table_of[join] = here

    def _group_move(self, rng: np.random.Generator, temperature: float) -> None:
        group = self.groups[int(rng.integers(len(self.groups)))]
        here = self.table_of[group[0]]
        there = int(rng.integers(len(self.problem.sizes)))
        candidates = self.singles[self.table_of[self.singles] == there]
        if there == here or len(candidates) < len(group):
            return
        joining = list(rng.choice(candidates, size=len(group), replace=False))
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
        cooling = (end_temperature / start_temperature) ** (1 / max(steps, 1))
        temperature = start_temperature
        for step in range(steps):
            if step % 256 == 0 and out_of_time():
                break
            temperature *= cooling
            pick = int(rng.integers(movers))
            if pick >= len(self.singles):
                self._group_move(rng, temperature)
                continue
            member = int(self.singles[pick])
            partners, deltas = self.single_swap_deltas(member)
            if len(partners) == 0:
                continue
            noisy = deltas - temperature * rng.gumbel(size=len(deltas))
            best = int(np.argmin(noisy))
            if noisy[best] < -temperature * rng.gumbel():
                self.exchange([member], [int(partners[best])])
        self.descend(out_of_time)

    def descend(self, out_of_time: Callable[[], bool]) -> None:
        """Best-improvement swaps of single members until none improves the objective."""
        improved = True
        while improved and not out_of_time():
            improved = False
            for member in self.singles:
                partners, deltas = self.single_swap_deltas(int(member))
                if len(partners) and deltas.min() < -1e-9:
                    self.exchange([int(member)], [int(partners[int(np.argmin(deltas))])])
                    improved = True
