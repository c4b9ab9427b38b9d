"""Local search that seats one session: diversity first, then new faces.

The objective of a session is ``diversity_weight * sum_t sum_v |c_tv/n_t - p_v|`` (much steeper above a
cap set just above the lower bound) plus, for every pair
seated together, the pair's entry of a penalty matrix (pairs who already met in other sessions, and a
prohibitive cost for kept-apart pairs), plus a per-member per-table penalty (tables a member may not
use). Keeping hard rules as prohibitive costs lets one move type serve them all; the caller checks
the result and explains any rule left broken.

Moves swap two members of different tables (or a keep-together group with as many single members of
another table). For a chosen member, the change of the objective for swapping with *every* other
member is computed at once, from the per-table value counts and from ``seat_cost[a, t]`` (the
summed penalty between member ``a`` and everyone at table ``t``), both updated after each swap. The
loops that score, step and update run compiled (``compiled.py``); this class holds their arrays.
The move is drawn with the Gumbel-max trick, i.e. from a Boltzmann distribution over all swaps of
that member (and staying put) whose temperature falls geometrically: simulated annealing that uses
the whole vectorised neighbourhood instead of one random neighbour per step. The final descent can
also exchange two members of one table with two of another, all such exchanges of two tables scored
at once: near the diversity bound few single swaps keep diversity, and pairs of swaps find more.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

PROHIBITIVE = 1000.0
# Two-for-two exchanges look at up to this many pairs per table (all pairs of tables up to 25 seats).
EXCHANGE_PAIRS = 300
# A feature of up to 8 values has each table's two-for-two exchange costs cached whole (a (k*k, k*k)
# table, 4,096 numbers); one with more (a postcode district, say: 80 would need 41 million a table) has
# only the costs an exchange reads worked out.
PAIR_CACHE_VALUES = 8
# Most members scored in one batch of annealing steps.
MAX_BATCH = 32
# Work units of the annealing, fitted to its CPU time on the benchmark panels (about a microsecond
# each there, before the scoring was compiled): per batch of members scored, per value cell scored, and
# per exchange made. They set the plan, so they stay as fitted: a compiled unit is simply cheaper.
WORK_PER_BATCH = 30.0
WORK_PER_CELL = 0.0016
WORK_PER_EXCHANGE = 26.0


@functools.lru_cache(maxsize=64)
def _all_pairs(members: int) -> np.ndarray:
    """(k, 2) positions of every pair of ``members``: built once per table size, as the descent asks
    for them for every two tables (read-only, so the cached array cannot be changed)."""
    pairs = np.array(list(combinations(range(members), 2)), dtype=int).reshape(-1, 2)
    pairs.setflags(write=False)
    return pairs


def _some_pairs(members: int, rng: np.random.Generator) -> np.ndarray:
    """(k, 2) positions of every pair of ``members``, or of a random sample of EXCHANGE_PAIRS."""
    if members * (members - 1) // 2 <= EXCHANGE_PAIRS:
        return _all_pairs(members)
    first = rng.integers(members, size=EXCHANGE_PAIRS)
    second = (first + rng.integers(1, members, size=EXCHANGE_PAIRS)) % members
    return np.stack([first, second], axis=1)


def co_seated(table_of: np.ndarray) -> np.ndarray:
    """(members, members) 0/1 matrix of pairs sharing a table in one session (-1: absent)."""
    same = (table_of[:, None] == table_of[None, :]) & (table_of[:, None] >= 0)
    np.fill_diagonal(same, False)
    return same.astype(np.int32)


def _gumbel(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Standard Gumbel draws -log(-log(U)) in single precision, five times faster than
    ``rng.gumbel``; a draw of U = 0 gives -inf, an option left out of that one step."""
    draws = rng.random(shape, dtype=np.float32)
    with np.errstate(divide="ignore"):
        np.log(draws, out=draws)
        np.negative(draws, out=draws)
        np.log(draws, out=draws)
    np.negative(draws, out=draws)
    return draws


def _least_cost(codes: np.ndarray, shares: np.ndarray, size: float) -> float:
    """Least diversity cost sum_v |c_v/n - p_v| of any table of ``size`` seats, feature by feature:
    each feature's value counts rounded down, then the remaining seats given one at a time where they
    cost least (optimal, since each term is convex in c_v). ``codes`` as in ``SessionSearch``."""
    total = 0.0
    for feature in range(codes.shape[1]):
        share = shares[np.unique(codes[:, feature])]
        counts = np.floor(size * share)
        for _ in range(int(size - counts.sum())):
            counts[np.argmin(np.abs((counts + 1) / size - share) - np.abs(counts / size - share))] += 1
        total += float(np.abs(counts / size - share).sum())
    return total


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
        self.diversity_cap = float(problem.diversity_cap)
        self.over_cap = float(problem.over_cap)
        self.diversity_weight = float(problem.diversity_weight)
        seated = np.flatnonzero(self.table_of >= 0)
        tables = len(problem.sizes)
        self.counts = np.zeros((tables, problem.one_hot.shape[1]))
        np.add.at(self.counts, self.table_of[seated], problem.one_hot[seated])
        # codes[a, f]: column of member a's value of feature f. leave/join_gain[t, k]: change of table
        # t's diversity cost when a member with value column k leaves/joins it; a swap's diversity
        # change is a sum of these over the features where the two members differ.
        self.codes = np.nonzero(problem.one_hot)[1].reshape(problem.one_hot.shape[0], -1)
        self.table_cost = self._table_costs(np.arange(tables))
        least = {size: _least_cost(self.codes, problem.shares, size) for size in set(problem.sizes)}
        self.least_cost = np.array([least[size] for size in problem.sizes])
        self.total = np.array([self.table_cost.sum()])  # the diversity total, which compiled exchanges change
        self.leave_gain = np.zeros_like(self.counts)
        self.join_gain = np.zeros_like(self.counts)
        # Imported here: numba takes about a second to load, which only a search should pay.
        from civicforum.tables.compiled import update_gains

        update_gains(
            np.arange(tables), self.counts, problem.sizes, problem.shares, self.leave_gain, self.join_gain
        )
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
        self.single_tables = self.table_of[self.singles]
        # Value columns come feature by feature; one that no member holds joins the feature before it.
        self.feature_of_column = np.full(self.counts.shape[1], -1)
        for feature in range(self.codes.shape[1]):
            self.feature_of_column[self.codes[:, feature]] = feature
        self.feature_of_column = np.maximum(np.maximum.accumulate(self.feature_of_column), 0)
        # Each feature's value columns, and each member's value as a position among them.
        self.feature_starts = np.searchsorted(self.feature_of_column, np.arange(self.codes.shape[1]))
        self.feature_sizes = np.bincount(self.feature_of_column, minlength=self.codes.shape[1])
        self.local_codes = self.codes - self.feature_starts
        # Twice the pair penalty: before a swap each of the two counts it in its seat cost at the
        # other's table, where the other will no longer sit.
        self.single_pair_penalty = 2 * problem.pair_penalty[:, self.singles]
        # Each table's two-for-two exchange costs by feature (``compiled.PairData``), worked out when
        # an exchange first reads them and again after the table's membership changes.
        cacheable = self.feature_sizes[self.feature_sizes <= PAIR_CACHE_VALUES]
        values = int(cacheable.max()) if len(cacheable) else 1
        self.pair_costs = np.empty((tables, len(self.feature_sizes), values**2, values**2))
        self.pair_costs_current = np.zeros((tables, len(self.feature_sizes)), dtype=bool)

    @property
    def diversity_total(self) -> float:
        """The session's diversity cost, sum over tables of sum_v |c_tv/n_t - p_v|."""
        return float(self.total[0])

    def _table_costs(self, tables: np.ndarray) -> np.ndarray:
        sizes = self.problem.sizes[tables][:, None]
        return np.abs(self.counts[tables] / sizes - self.problem.shares).sum(axis=1)

    def batch_swap_deltas(self, members: np.ndarray) -> np.ndarray:
        """Objective change of swapping each of ``members`` with each movable single (inf: same
        table), one row per member, all scored against the current seating."""
        from civicforum.tables.compiled import swap_deltas

        return swap_deltas(np.asarray(members), self._scoring_arrays())

    def _scoring_arrays(self) -> tuple:
        """What the compiled swap scores read (``compiled.Scoring``)."""
        return (
            self.table_of,
            self.codes,
            self.singles,
            self.single_tables,
            self.single_codes,
            self.feature_of_column,
            self.leave_gain,
            self.join_gain,
            self.seat_cost,
            self.single_pair_penalty,
            self.diversity_cap,
            self.total,
            self.over_cap,
            self.diversity_weight,
        )

    def _bookkeeping(self) -> tuple:
        """What a compiled exchange updates besides the scoring arrays (``compiled.Bookkeeping``)."""
        p = self.problem
        return (
            self.counts,
            p.one_hot,
            p.pair_penalty,
            p.sizes,
            p.shares,
            self.table_cost,
            self.single_index,
            self.pair_costs_current,
        )

    def _pair_data(self) -> tuple:
        """What the compiled two-for-two exchange costs read besides (``compiled.PairData``)."""
        return self.local_codes, self.feature_starts, self.feature_sizes, self.least_cost, self.pair_costs

    def exchange_delta(self, leaving: Sequence[int], joining: Sequence[int]) -> float:
        """Objective change when ``leaving`` (all at one table) swaps with ``joining`` (all at another)."""
        from civicforum.tables.compiled import capped

        p = self.problem
        here, there = self.table_of[leaving[0]], self.table_of[joining[0]]
        change = p.one_hot[joining].sum(axis=0) - p.one_hot[leaving].sum(axis=0)
        pair = np.array([here, there])
        new_costs = np.abs(
            (self.counts[pair] + np.stack([change, -change])) / p.sizes[pair][:, None] - p.shares
        ).sum()
        old_costs = self.table_cost[pair].sum()
        leave, join = np.asarray(leaving), np.asarray(joining)
        seating = (
            self.seat_cost[leave, there].sum()
            - self.seat_cost[leave, here].sum()
            + self.seat_cost[join, here].sum()
            - self.seat_cost[join, there].sum()
            - 2 * p.pair_penalty[np.ix_(leave, join)].sum()
        )
        return float(capped(float(new_costs - old_costs), self._scoring_arrays()) + seating)

    def exchange(self, leaving: Sequence[int], joining: Sequence[int]) -> None:
        """Swap ``leaving`` (all at one table) with ``joining`` (all at another): ``compiled.exchange``."""
        from civicforum.tables.compiled import exchange

        exchange(
            np.asarray(leaving, dtype=np.int64),
            np.asarray(joining, dtype=np.int64),
            self._scoring_arrays(),
            self._bookkeeping(),
        )

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
        start_temperature: float,
        end_temperature: float,
        out_of_time: Callable[[], bool],
        pair_exchanges: bool = False,
        steps: int = 0,
        work: float = np.inf,
        min_steps: int = 0,
    ) -> int:
        """Simulated annealing over swaps, then a greedy descent to a local optimum (of two-for-two
        exchanges too, with ``pair_exchanges``); returns the annealing steps made.

        The annealing spends ``work`` units (``WORK_PER_*``), but makes at least ``min_steps`` steps
        and at most ``steps``; its temperature falls geometrically with the share of that budget used.
        Work is counted, not timed, so a seed gives the same seating whatever the machine and its load."""
        if len(self.singles) < 2 and not self.groups:
            return 0
        from civicforum.tables.compiled import anneal_steps, progress

        movers = len(self.singles) + len(self.groups)
        # Scoring one member touches its row of every single's value cells and of the table-by-value
        # matrices.
        row_work = WORK_PER_CELL * (self.single_codes.size + self.counts.size)
        cooling = float(np.log(end_temperature / start_temperature))  # the temperature's log falls linearly
        schedule = (
            int(steps),
            int(min_steps),
            float(work),
            float(start_temperature),
            cooling,
            float(row_work),
            WORK_PER_BATCH,
            WORK_PER_EXCHANGE,
            MAX_BATCH,
        )
        scoring, bookkeeping = self._scoring_arrays(), self._bookkeeping()
        block = 256  # random draws in blocks: numpy's per-call overhead dominates at this size
        # Members are taken in batches and their moves drawn in order (``compiled.anneal_steps``).
        # Batches were sized for numpy's per-call overhead; as the work counted depends on them (and
        # the work sets the plan), they stay so that a seed keeps its plan.
        batch = 2
        step = 0
        used = 0.0
        position = block
        while (done := progress(step, used, schedule)) < 1:
            if position == block:
                if out_of_time():
                    break
                # Gumbel draws, scaled by the temperature; column 0: the draw of staying put.
                noise = _gumbel(rng, (block, len(self.singles) + 1))
                picks = rng.integers(movers, size=block)
                position = 0
            if picks[position] >= len(self.singles):
                self._group_move(rng, start_temperature * math.exp(cooling * done))
                step += 1
                position += 1
                used += WORK_PER_EXCHANGE
                continue
            position, step, used, batch = anneal_steps(
                picks, noise, position, step, used, batch, schedule, scoring, bookkeeping
            )
        self.descend(out_of_time, rng, pair_exchanges)
        return step

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
        """Each member in turn takes its best improving swap, until a whole pass finds none; members
        are scored in batches as in ``anneal``, a batch ending at its first improving swap."""
        improved = True
        count = len(self.singles)
        while improved and not out_of_time():
            improved = False
            start = 0
            while start < count:
                chosen = self.singles[start : start + MAX_BATCH]
                deltas = self.batch_swap_deltas(chosen)
                best = deltas.argmin(axis=1)
                better = (deltas[np.arange(len(chosen)), best] < -1e-9).nonzero()[0]
                if not len(better):
                    start += len(chosen)
                    continue
                first = int(better[0])
                self.exchange([int(chosen[first])], [int(self.singles[best[first]])])
                improved = True
                start += first + 1

    def pair_exchange_deltas(
        self, here: int, there: int, rng: np.random.Generator, skip_hopeless: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Objective change of exchanging two movable singles at ``here`` with two at ``there`` (rows:
        pairs leaving ``here``, columns: pairs leaving ``there``; every pair, or a sample at big
        tables), and the pairs (member ids); ``compiled.pair_exchange_deltas``.

        Two-for-two exchanges change two tables' value counts in ways one swap cannot, which is how
        diversity near its lower bound is kept while the tables' membership changes."""
        from civicforum.tables.compiled import pair_exchange_deltas

        leaving = self.singles[self.single_tables == here]
        joining = self.singles[self.single_tables == there]
        out = leaving[_some_pairs(len(leaving), rng)]
        back = joining[_some_pairs(len(joining), rng)]
        if not len(out) or not len(back):
            return np.empty((len(out), len(back))), out, back
        scoring, bookkeeping, pair_data = self._scoring_arrays(), self._bookkeeping(), self._pair_data()
        deltas = pair_exchange_deltas(out, back, skip_hopeless, scoring, bookkeeping, pair_data)
        return deltas, out, back

    def _pair_exchange_descent(self, rng: np.random.Generator, out_of_time: Callable[[], bool]) -> bool:
        """One pass of the best improving two-for-two exchange between each two tables; whether any
        was made."""
        changed = False
        for here, there in combinations(range(len(self.problem.sizes)), 2):
            if out_of_time():
                break
            deltas, out, back = self.pair_exchange_deltas(here, there, rng, skip_hopeless=True)
            if deltas.size == 0:
                continue
            row, col = np.unravel_index(int(np.argmin(deltas)), deltas.shape)
            if deltas[row, col] < -1e-9:
                self.exchange(out[row], back[col])
                changed = True
        return changed
