"""The searches' inner loops, compiled with numba: the annealing's steps, the swap scores they draw
from, exchanges and their bookkeeping, the costs of two-for-two exchanges, and the tabu search's swap
costs.

Scoring a batch of members' swaps against every movable member is most of a plan's CPU time. As numpy
calls it built a (batch, tables, values) array and gathered from it; compiled, each member's table of
gains is built once and read in place, a step stops scoring at the first member that moves, and the
annealing runs a whole block of steps per call instead of a dozen numpy calls per step.

The loops add and multiply in exactly the order the numpy version did, with no fast-math (so the
compiler neither reorders sums nor fuses a multiply and an add), and where numpy summed a row by
pairwise summation they copy it step for step (``_pairwise_sum``): the scores are the same floats on
every machine, and a seed gives the same plan whatever the CPU, as it did before the loops were compiled.
(The tabu search's swap costs are sums of exact binary fractions, the same in any order. Two-for-two
exchange costs on a feature too wide to cache are estimated first, then worked out in numpy's order
wherever they could be the least, so the same exchange is chosen.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit


def _compile(function: Callable[..., Any]) -> Callable[..., Any]:
    """Compile ``function``, keeping the machine code beside the source (or in the user's cache)
    so later processes skip the compilation; where neither is writable, compile in memory."""
    try:
        return njit(cache=True)(function)
    except RuntimeError:  # numba found no writable cache directory
        return njit(function)


# What the swap scores read of a session's search, in this order (``SessionSearch._scoring_arrays``):
# table_of, codes, singles, single_tables, single_codes, feature_of_column, leave_gain, join_gain,
# seat_cost, pair_penalty_to_singles (twice the pair penalty, one column per single), the diversity cap,
# the session's diversity total (a one-element array, as exchanges change it), over_cap and weight.
Scoring = tuple
# What an exchange updates besides the scoring arrays (``SessionSearch._bookkeeping``): counts (table
# by value column), one_hot, pair_penalty, sizes, shares, table_cost, single_index (position of a member
# among the singles, -1 for others) and pair_costs_current (tables by features: whether the table's
# cached two-for-two exchange costs on the feature still hold).
Bookkeeping = tuple
# What two-for-two exchanges read besides those (``SessionSearch._pair_data``): local_codes (each
# member's value as a position among its feature's value columns), feature_starts, feature_sizes,
# least_cost (each table's least possible diversity cost) and pair_costs (tables, features, k*k, k*k),
# each table's change of diversity cost for every leaving pair of values by every joining pair, for the
# features whose k*k fits (``search.PAIR_CACHE_VALUES``; the others' costs are worked out as read).
PairData = tuple


@_compile
def _block_sum(values: np.ndarray, start: int, count: int) -> float:
    """numpy's sum of at most 128 numbers: one by one below 8, else in eight running sums."""
    if count < 8:
        total = -0.0
        for i in range(start, start + count):
            total += values[i]
        return total
    partial = values[start : start + 8].copy()
    i = 8
    while i < count - count % 8:
        for lane in range(8):
            partial[lane] += values[start + i + lane]
        i += 8
    total = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + (
        (partial[4] + partial[5]) + (partial[6] + partial[7])
    )
    for rest in range(i, count):
        total += values[start + rest]
    return total


@_compile
def _pairwise_sum(values: np.ndarray) -> float:
    """numpy's pairwise summation of ``values``, step for step, so that a sum here is the same float
    as numpy's ``sum`` of that row: blocks of up to 128 (``_block_sum``), halved (at a multiple of 8)
    beyond. The halving runs on a stack, as numba cannot cache a recursive function."""
    if values.shape[0] <= 128:
        return _block_sum(values, 0, values.shape[0])
    # Pending ranges (start, count; a count of -1 marks "add the last two sums") and finished sums.
    starts, counts = np.empty(128, np.int64), np.empty(128, np.int64)
    sums = np.empty(64)
    starts[0], counts[0] = 0, values.shape[0]
    pending, done = 1, 0
    while pending:
        pending -= 1
        start, count = starts[pending], counts[pending]
        if count == -1:
            done -= 1
            sums[done - 1] += sums[done]
        elif count <= 128:
            sums[done] = _block_sum(values, start, count)
            done += 1
        else:
            half = count // 2
            half -= half % 8
            # Run last: add the two halves; then the second half; first the first.
            starts[pending], counts[pending] = 0, -1
            starts[pending + 1], counts[pending + 1] = start + half, count - half
            starts[pending + 2], counts[pending + 2] = start, half
            pending += 3
    return sums[0]


@_compile
def capped(change: float, scoring: Scoring) -> float:
    """Objective change for a change of the diversity cost, steeper beyond the cap: the part of the
    change that lands above the cap, max(change, headroom) - max(headroom, 0), costs more."""
    cap, total, over_cap, weight = scoring[10], scoring[11], scoring[12], scoring[13]
    headroom = cap - total[0]
    capped = max(change, headroom)
    capped -= max(headroom, 0.0)
    capped *= over_cap
    capped += change
    capped *= weight
    return capped


@_compile
def _score_member(deltas: np.ndarray, gains: np.ndarray, member: int, scoring: Scoring) -> None:
    """Fill ``deltas`` with the objective change of swapping ``member`` with each movable single (inf:
    same table); ``gains`` is scratch space of the shape of ``leave_gain``.

    ``gains[t, k]`` is the diversity change, on the feature of value column k, of swapping the member
    (at table h) with a member at table t whose value there is k: k leaves t and joins h, the member's
    value leaves h and joins t (nothing when both share the value). A swap's diversity change is the
    sum of its partner's cells over the features; capped (``capped``), plus the
    change of the two members' seat costs."""
    (
        table_of, codes, singles, single_tables, single_codes, feature_of_column, leave_gain, join_gain,
        seat_cost, pair_penalty_to_singles, _, _, _, _,
    ) = scoring  # fmt: skip
    tables, columns = leave_gain.shape
    features = codes.shape[1]
    here = table_of[member]
    moving = np.empty(features)
    for table in range(tables):
        for feature in range(features):
            mine = codes[member, feature]
            moving[feature] = join_gain[table, mine] + leave_gain[here, mine]
        for column in range(columns):
            gains[table, column] = (leave_gain[table, column] + join_gain[here, column]) + moving[
                feature_of_column[column]
            ]
        for feature in range(features):
            gains[table, codes[member, feature]] = 0.0
    for col in range(singles.shape[0]):
        there = single_tables[col]
        if there == here:
            deltas[col] = np.inf
            continue
        diversity = gains[there, single_codes[col, 0]]
        for feature in range(1, features):
            diversity += gains[there, single_codes[col, feature]]
        delta = capped(diversity, scoring)
        other = singles[col]
        delta += seat_cost[other, here] - seat_cost[other, there]
        delta += seat_cost[member, there]
        delta -= seat_cost[member, here]
        delta -= pair_penalty_to_singles[member, col]
        deltas[col] = delta


@_compile
def swap_deltas(members: np.ndarray, scoring: Scoring) -> np.ndarray:
    """Objective change of swapping each of ``members`` with each movable single (inf: same table),
    one row per member (``SessionSearch.batch_swap_deltas``)."""
    singles, leave_gain = scoring[2], scoring[6]
    deltas = np.empty((members.shape[0], singles.shape[0]))
    gains = np.empty_like(leave_gain)
    for row in range(members.shape[0]):
        _score_member(deltas[row], gains, members[row], scoring)
    return deltas


@_compile
def first_accepted_swap(
    members: np.ndarray, noise: np.ndarray, temperature: float, scoring: Scoring
) -> tuple[int, int]:
    """The annealing's step for a batch of ``members`` (see ``SessionSearch.anneal``): the first
    member whose best swap, with Gumbel ``noise`` scaled by ``temperature`` (column 0: staying put),
    beats staying put, and that swap's partner (a position in ``singles``); (-1, -1) if none.

    The noise is scaled in single precision and the minimum is the first one, as numpy did; members
    after the first accepted one are not scored, as their scores would not be used."""
    singles, leave_gain = scoring[2], scoring[6]
    deltas = np.empty(singles.shape[0])
    gains = np.empty_like(leave_gain)
    scale = np.float32(temperature)
    for row in range(members.shape[0]):
        _score_member(deltas, gains, members[row], scoring)
        best = 0
        lowest = deltas[0] - np.float64(noise[row, 1] * scale)
        for col in range(1, deltas.shape[0]):
            noisy = deltas[col] - np.float64(noise[row, col + 1] * scale)
            if noisy < lowest:
                best, lowest = col, noisy
        if lowest < -np.float64(noise[row, 0] * scale):
            return row, best
    return -1, -1


@_compile
def update_gains(
    tables: np.ndarray,
    counts: np.ndarray,
    sizes: np.ndarray,
    shares: np.ndarray,
    leave_gain: np.ndarray,
    join_gain: np.ndarray,
) -> np.ndarray:
    """Recompute the leave/join gains of ``tables`` from their value counts; return their diversity
    costs."""
    costs = np.empty(tables.shape[0])
    now = np.empty(counts.shape[1])
    for row in range(tables.shape[0]):
        table = tables[row]
        seat = 1 / sizes[table]  # one member's share of the table
        for column in range(counts.shape[1]):
            deviation = counts[table, column] * seat
            deviation -= shares[column]
            now[column] = abs(deviation)
            leave_gain[table, column] = abs(deviation - seat) - now[column]
            join_gain[table, column] = abs(deviation + seat) - now[column]
        costs[row] = 0.0 + _pairwise_sum(now)
    return costs


@_compile
def _column_sum(matrix: np.ndarray, row: int, columns: np.ndarray) -> float:
    """``matrix[row, columns].sum()`` in numpy's order: the gathered columns come out column-major,
    so numpy adds them one after another."""
    total = 0.0
    for column in columns:
        total += matrix[row, column]
    return total


@_compile
def exchange(leaving: np.ndarray, joining: np.ndarray, scoring: Scoring, bookkeeping: Bookkeeping) -> None:
    """Swap ``leaving`` (all at one table) with ``joining`` (all at another) and bring every count,
    gain, cost and seat cost up to date (``SessionSearch.exchange``)."""
    table_of, singles, single_tables = scoring[0], scoring[2], scoring[3]
    leave_gain, join_gain, seat_cost, total = scoring[6], scoring[7], scoring[8], scoring[11]
    counts, one_hot, pair_penalty, sizes, shares, table_cost, single_index, pair_costs_current = bookkeeping
    here, there = table_of[leaving[0]], table_of[joining[0]]
    for column in range(counts.shape[1]):
        change = 0.0
        for member in joining:
            change += one_hot[member, column]
        for member in leaving:
            change -= one_hot[member, column]
        counts[here, column] += change
        counts[there, column] -= change
    pair = np.array([here, there])
    costs = update_gains(pair, counts, sizes, shares, leave_gain, join_gain)
    total[0] += costs[0] + costs[1] - table_cost[here] - table_cost[there]
    table_cost[here], table_cost[there] = costs[0], costs[1]
    for member in range(seat_cost.shape[0]):
        joined = _column_sum(pair_penalty, member, joining)
        penalty_change = joined - _column_sum(pair_penalty, member, leaving)
        seat_cost[member, here] += penalty_change
        seat_cost[member, there] -= penalty_change
    for member in leaving:
        table_of[member] = there
    for member in joining:
        table_of[member] = here
    for moved in (leaving, joining):
        for member in moved:
            if single_index[member] >= 0:
                single_tables[single_index[member]] = table_of[singles[single_index[member]]]
    pair_costs_current[here] = False
    pair_costs_current[there] = False


@_compile
def _deviations(table: int, start: int, size: int, bookkeeping: Bookkeeping, scratch: np.ndarray) -> float:
    """Fill ``scratch[:size]`` with ``table``'s deviations c_v/n - p_v on the feature of value columns
    ``start`` to ``start + size``; return that feature's diversity cost there, summed in numpy's order
    (``scratch`` holds 3 * size numbers)."""
    counts, sizes, shares = bookkeeping[0], bookkeeping[3], bookkeeping[4]
    seat = 1 / sizes[table]
    for value in range(size):
        deviation = counts[table, start + value] * seat
        deviation -= shares[start + value]
        scratch[value] = deviation
        scratch[size + value] = abs(deviation)
    return 0.0 + _pairwise_sum(scratch[size : 2 * size])


@_compile
def _moved_cost(seat: float, size: int, leaving: int, joining: int, scratch: np.ndarray) -> float:
    """The feature's diversity cost at a table (deviations in ``scratch[:size]``) once two members whose
    value positions are (leaving // size, leaving % size) leave it and two with (joining // size,
    joining % size) join, summed in numpy's order."""
    moved = scratch[2 * size : 3 * size]
    for value in range(size):
        joins = (seat if value == joining // size else 0.0) + (seat if value == joining % size else 0.0)
        leaves = (seat if value == leaving // size else 0.0) + (seat if value == leaving % size else 0.0)
        moved[value] = abs(scratch[value] + joins - leaves)
    return 0.0 + _pairwise_sum(moved)


@_compile
def _fill_pair_costs(
    table: int,
    feature: int,
    start: int,
    size: int,
    bookkeeping: Bookkeeping,
    pair_costs: np.ndarray,
    scratch: np.ndarray,
) -> None:
    """The change of ``table``'s diversity cost on a feature when two members leave it and two join
    (``_moved_cost`` less the cost now), for every leaving pair of values by every joining pair. A
    pair's order does not change its cost (the same numbers are added in the same order), so each
    unordered pair is worked out once."""
    now = _deviations(table, start, size, bookkeeping, scratch)
    seat = 1 / bookkeeping[3][table]
    for out1 in range(size):
        for out2 in range(out1, size):
            for in1 in range(size):
                for in2 in range(in1, size):
                    cost = _moved_cost(seat, size, out1 * size + out2, in1 * size + in2, scratch) - now
                    for leaving in (out1 * size + out2, out2 * size + out1):
                        for joining in (in1 * size + in2, in2 * size + in1):
                            pair_costs[table, feature, leaving, joining] = cost


@_compile
def pair_exchange_deltas(
    out: np.ndarray,
    back: np.ndarray,
    skip_hopeless: bool,
    scoring: Scoring,
    bookkeeping: Bookkeeping,
    pair_data: PairData,
) -> np.ndarray:
    """Objective change of exchanging each pair ``out`` (rows, two members at one table) with each
    pair ``back`` (columns, two at another) (``SessionSearch.pair_exchange_deltas``): exact wherever
    it could be the least, elsewhere within DIVERSITY_ESTIMATE_ERROR (times the diversity weights) of
    it, when a feature has too many values to cache.

    With ``skip_hopeless``, an empty array when no exchange can improve: diversity falls by at most
    what the two tables sit above their least possible costs, and the seat costs cannot pay for that."""
    table_of, seat_cost = scoring[0], scoring[8]
    pair_penalty, table_cost, pair_costs_current = bookkeeping[2], bookkeeping[5], bookkeeping[7]
    local_codes, feature_starts, feature_sizes, least_cost, pair_costs = pair_data
    here, there = table_of[out[0, 0]], table_of[back[0, 0]]
    # Each pair's change of seat costs, plus its penalty within the pair (counted at the old table by
    # both, and kept); then less the penalties between the two pairs (counted at the new table by both,
    # where the other pair will no longer sit). Summed as numpy did.
    coming = np.empty(back.shape[0])
    for col in range(back.shape[0]):
        first, second = back[col, 0], back[col, 1]
        coming[col] = (seat_cost[first, here] - seat_cost[first, there]) + (
            seat_cost[second, here] - seat_cost[second, there]
        )
        coming[col] += 2 * pair_penalty[first, second]
    seating = np.empty((out.shape[0], back.shape[0]))
    for row in range(out.shape[0]):
        first, second = out[row, 0], out[row, 1]
        going = (seat_cost[first, there] - seat_cost[first, here]) + (
            seat_cost[second, there] - seat_cost[second, here]
        )
        going += 2 * pair_penalty[first, second]
        for col in range(back.shape[0]):
            cross = pair_penalty[first, back[col, 0]] + pair_penalty[first, back[col, 1]]
            cross += pair_penalty[second, back[col, 0]]
            cross += pair_penalty[second, back[col, 1]]
            seating[row, col] = going + coming[col] - 2 * cross
    if skip_hopeless:
        reducible = (table_cost[here] + table_cost[there]) - (least_cost[here] + least_cost[there])
        if seating.min() + capped(-reducible, scoring) >= 0:
            return np.empty((0, 0))
    # A feature whose cost tables are cached has them brought up to date; one with too many values has
    # the two tables' deviations worked out once here, for the costs read below (``_moved_cost``).
    features = feature_sizes.shape[0]
    scratch = np.empty((2, features, 3 * feature_sizes.max()))
    now = np.empty((2, features))
    for feature in range(features):
        size, start = feature_sizes[feature], feature_starts[feature]
        for side, table in enumerate((here, there)):
            if size * size > pair_costs.shape[2]:
                now[side, feature] = _deviations(table, start, size, bookkeeping, scratch[side, feature])
            elif not pair_costs_current[table, feature]:
                _fill_pair_costs(table, feature, start, size, bookkeeping, pair_costs, scratch[side, feature])
                pair_costs_current[table, feature] = True
    seats = 1 / bookkeeping[3][here], 1 / bookkeeping[3][there]
    # Each pair's values as a row of the cost tables, feature by feature: (first * k + second).
    out_values = _pair_values(out, local_codes, feature_sizes)
    back_values = _pair_values(back, local_codes, feature_sizes)
    deltas = np.empty_like(seating)
    for row in range(out.shape[0]):
        for col in range(back.shape[0]):
            diversity = 0.0
            for feature in range(features):
                leaving, joining = out_values[row, feature], back_values[col, feature]
                size = feature_sizes[feature]
                if size * size <= pair_costs.shape[2]:
                    diversity += pair_costs[here, feature, leaving, joining]
                    diversity += pair_costs[there, feature, joining, leaving]
                else:  # estimated for now; worked out below wherever the exchange could be the least
                    diversity += _changed_values_cost(seats[0], size, leaving, joining, scratch[0, feature])
                    diversity += _changed_values_cost(seats[1], size, joining, leaving, scratch[1, feature])
            deltas[row, col] = capped(diversity, scoring) + seating[row, col]
    if (feature_sizes * feature_sizes > pair_costs.shape[2]).any():
        margin = 2 * DIVERSITY_ESTIMATE_ERROR * scoring[13] * (1 + scoring[12])
        least = deltas.min()
        for row in range(out.shape[0]):
            for col in range(back.shape[0]):
                if deltas[row, col] <= least + margin:
                    values = out_values[row], back_values[col]
                    exact = _exchange_diversity(values, (here, there), seats, pair_data, scratch, now)
                    deltas[row, col] = capped(exact, scoring) + seating[row, col]
    return deltas


# The most by which the estimated cost of an exchange on a feature with too many values to cache
# (``_changed_values_cost``) can differ from the exact one, summed as numpy sums (``_exchange_diversity``):
# both add at most a few thousand deviations of at most 1, each rounded to 2^-53 of its size, so they
# differ by far less than this.
DIVERSITY_ESTIMATE_ERROR = 1e-9


@_compile
def _exchange_diversity(
    values: tuple[np.ndarray, np.ndarray],
    tables: tuple[int, int],
    seats: tuple[float, float],
    pair_data: PairData,
    scratch: np.ndarray,
    now: np.ndarray,
) -> float:
    """Change of the two tables' diversity cost, exactly as numpy summed it, when a pair with
    ``values[0]`` (a row of ``_pair_values``) leaves ``tables[0]`` for ``tables[1]`` and a pair with
    ``values[1]`` comes the other way (``seats``: 1 / each table's size; ``scratch`` and ``now``: the
    deviations of features too wide to cache, as ``pair_exchange_deltas`` works them out)."""
    pair_costs, feature_sizes = pair_data[4], pair_data[2]
    diversity = 0.0
    for feature in range(feature_sizes.shape[0]):
        leaving, joining = values[0][feature], values[1][feature]
        size = feature_sizes[feature]
        if size * size <= pair_costs.shape[2]:
            diversity += pair_costs[tables[0], feature, leaving, joining]
            diversity += pair_costs[tables[1], feature, joining, leaving]
        else:
            moved = _moved_cost(seats[0], size, leaving, joining, scratch[0, feature])
            diversity += moved - now[0, feature]
            moved = _moved_cost(seats[1], size, joining, leaving, scratch[1, feature])
            diversity += moved - now[1, feature]
    return diversity


@_compile
def _changed_values_cost(seat: float, size: int, leaving: int, joining: int, scratch: np.ndarray) -> float:
    """``_moved_cost`` less the cost now, from the values that change alone (in any order)."""
    changed = (leaving // size, leaving % size, joining // size, joining % size)
    change = 0.0
    for position in range(4):
        value = changed[position]
        first = True
        for earlier in range(position):
            first = first and changed[earlier] != value
        count = (changed[2] == value) + (changed[3] == value) - (changed[0] == value) - (changed[1] == value)
        if first and count:
            change += abs(scratch[value] + count * seat) - abs(scratch[value])
    return change


@_compile
def _pair_values(pairs: np.ndarray, local_codes: np.ndarray, feature_sizes: np.ndarray) -> np.ndarray:
    """For each pair of members and each feature, the pair's two values as one number, first * k +
    second (k: the feature's number of values), the row or column of the pair-cost tables."""
    values = np.empty((pairs.shape[0], feature_sizes.shape[0]), dtype=np.int64)
    for row in range(pairs.shape[0]):
        for feature in range(feature_sizes.shape[0]):
            first, second = local_codes[pairs[row, 0], feature], local_codes[pairs[row, 1], feature]
            values[row, feature] = first * feature_sizes[feature] + second
    return values


# The annealing's budget and schedule (``SessionSearch.anneal``): steps, min_steps, work,
# start_temperature, cooling (the log of end over start temperature), row_work (work of scoring one
# member), then search.py's WORK_PER_BATCH, WORK_PER_EXCHANGE and MAX_BATCH.
Schedule = tuple


@_compile
def progress(step: int, used: float, schedule: Schedule) -> float:
    """Share of the annealing done: of its steps or of its work, whichever is further, though work
    counts only as far as the steps once those reach ``min_steps``."""
    steps, min_steps, work = schedule[0], schedule[1], schedule[2]
    spent = used / work if step >= min_steps else min(used / work, step / min_steps)
    return max(step / max(steps, 1), spent)


@_compile
def anneal_steps(
    picks: np.ndarray,
    noise: np.ndarray,
    position: int,
    step: int,
    used: float,
    batch: int,
    schedule: Schedule,
    scoring: Scoring,
    bookkeeping: Bookkeeping,
) -> tuple[int, int, float, int]:
    """The annealing's steps over single members from ``picks[position]`` on (see
    ``SessionSearch.anneal``), until the annealing is done, the block of draws runs out or a group's
    turn comes; returns position, step, used and batch.

    The members of a batch are scored in turn and the first accepted move ends it, since it changes
    the seating the rest would be scored on. The batch grows while moves are rejected (late, cold
    steps) and shrinks after accepted ones."""
    steps, start_temperature, cooling, row_work = schedule[0], schedule[3], schedule[4], schedule[5]
    work_per_batch, work_per_exchange, max_batch = schedule[6], schedule[7], schedule[8]
    singles = scoring[2]
    block = picks.shape[0]
    while position < block and picks[position] < singles.shape[0]:
        done = progress(step, used, schedule)
        if done >= 1:
            break
        temperature = start_temperature * math.exp(cooling * done)
        end = position
        while end < min(position + batch, block, position + steps - step) and picks[end] < singles.shape[0]:
            end += 1
        members = singles[picks[position:end]]
        first, partner = first_accepted_swap(members, noise[position:end], temperature, scoring)
        used += work_per_batch + (end - position) * row_work
        if first >= 0:
            exchange(members[first : first + 1], singles[partner : partner + 1], scoring, bookkeeping)
            used += work_per_exchange
            made = first + 1
            batch = max(2, min(max_batch, 2 * made))
        else:
            made = end - position
            batch = min(max_batch, 2 * batch)
        step += made
        position += made
    return position, step, used, batch


@_compile
def _meeting_gained(met: int, weights: tuple[float, float]) -> float:
    """Change of the tabu search's cost when a pair that met ``met`` times meets once more: a repeat
    (met once), a new distinct meeting (never met), or nothing."""
    repeat_weight, meeting_weight = weights
    return repeat_weight if met == 1 else (-meeting_weight if met == 0 else 0.0)


@_compile
def tabu_swap_costs(
    rows: np.ndarray,
    movers: np.ndarray,
    table_of: np.ndarray,
    meetings: np.ndarray,
    weights: tuple[float, float],
    barred: np.ndarray,
    apart: np.ndarray,
    rules: tuple[bool, bool],
) -> np.ndarray:
    """Exact change of the tabu search's cost for swapping movers ``rows`` (positions in ``movers``)
    with every mover of one session (``tabu.PlanTabu.swap_costs``); inf where the swap breaks a rule
    or stays at one table. ``weights``: the repeat and meeting weights; ``rules``: whether any table is
    barred and anyone kept apart in the session.

    A pair that gains a meeting makes a repeat (met once) or a new distinct meeting (never met); one
    that loses a meeting undoes that (met twice, met once). Every weight is an exact binary fraction,
    so the sums are exact in any order."""
    repeat_weight, meeting_weight = weights
    any_barred, any_apart = rules
    tables = barred.shape[1]
    count = movers.shape[0]
    # Per mover: what leaving their table changes; what joining each table would; kept-apart partners
    # at each table.
    leaving = np.zeros(count)
    joining = np.zeros((count, tables))
    apart_at = np.zeros((count, tables), dtype=np.int64)
    for i in range(count):
        mover = movers[i]
        for member in range(table_of.shape[0]):
            table = table_of[member]
            if table < 0 or member == mover:
                continue
            met = meetings[mover, member]
            joining[i, table] += _meeting_gained(met, weights)
            if table == table_of[mover]:
                leaving[i] += meeting_weight if met == 1 else (-repeat_weight if met == 2 else 0.0)
            if any_apart and apart[mover, member]:
                apart_at[i, table] += 1
    costs = np.empty((rows.shape[0], count))
    for row in range(rows.shape[0]):
        a = rows[row]
        first, own = movers[a], table_of[movers[a]]
        for b in range(count):
            second, there = movers[b], table_of[movers[b]]
            broken = own == there
            if any_barred:
                broken |= barred[first, there] or barred[second, own]
            if any_apart:  # kept-apart partners at the new table, the one leaving it aside
                broken |= apart_at[a, there] - apart[first, second] > 0
                broken |= apart_at[b, own] - apart[second, first] > 0
            if broken:
                costs[row, b] = np.inf
                continue
            together = _meeting_gained(meetings[first, second], weights)
            costs[row, b] = leaving[a] + joining[a, there] + leaving[b] + joining[b, own] - 2 * together
    return costs
