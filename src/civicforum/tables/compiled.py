"""The annealing's step and the swap scores it draws from, compiled with numba.

Scoring a batch of members' swaps against every movable member is most of a plan's CPU time. As numpy
calls it built a (batch, tables, values) array and gathered from it; compiled, each member's table of
gains is built once and read in place, with no temporary arrays and no per-call overhead of a dozen
numpy calls, and a step stops scoring at the first member that moves.

The loops add and multiply in exactly the order the numpy version did, with no fast-math (so the
compiler neither reorders sums nor fuses a multiply and an add): the scores are the same floats on
every machine, and a seed gives the same plan whatever the CPU.
"""

from __future__ import annotations

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
# seat_cost, pair_penalty_to_singles (twice the pair penalty, one column per single), and the floats
# headroom (the diversity cap less the current total), over_cap and weight.
Scoring = tuple


@_compile
def _score_member(deltas: np.ndarray, gains: np.ndarray, member: int, scoring: Scoring) -> None:
    """Fill ``deltas`` with the objective change of swapping ``member`` with each movable single (inf:
    same table); ``gains`` is scratch space of the shape of ``leave_gain``.

    ``gains[t, k]`` is the diversity change, on the feature of value column k, of swapping the member
    (at table h) with a member at table t whose value there is k: k leaves t and joins h, the member's
    value leaves h and joins t (nothing when both share the value). A swap's diversity change is the
    sum of its partner's cells over the features; capped as in ``SessionSearch._capped``, plus the
    change of the two members' seat costs."""
    (
        table_of, codes, singles, single_tables, single_codes, feature_of_column, leave_gain, join_gain,
        seat_cost, pair_penalty_to_singles, headroom, over_cap, weight,
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
    above = max(headroom, 0.0)
    for col in range(singles.shape[0]):
        there = single_tables[col]
        if there == here:
            deltas[col] = np.inf
            continue
        diversity = gains[there, single_codes[col, 0]]
        for feature in range(1, features):
            diversity += gains[there, single_codes[col, feature]]
        delta = max(diversity, headroom)
        delta -= above
        delta *= over_cap
        delta += diversity
        delta *= weight
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
