"""The annealing's innermost loop, compiled with numba.

Scoring a batch of members' swaps against every movable member is most of a plan's CPU time. As numpy
calls it builds a (batch, tables, values) array and gathers from it; compiled, each member's table of
gains is built once and read in place, with no temporary arrays and no per-call overhead of a dozen
numpy calls.

The loop adds and multiplies in exactly the order the numpy version did, with no fast-math (so the
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


@_compile
def swap_deltas(
    members: np.ndarray,
    table_of: np.ndarray,
    codes: np.ndarray,
    singles: np.ndarray,
    single_tables: np.ndarray,
    single_codes: np.ndarray,
    feature_of_column: np.ndarray,
    leave_gain: np.ndarray,
    join_gain: np.ndarray,
    seat_cost: np.ndarray,
    pair_penalty_to_singles: np.ndarray,
    headroom: float,
    over_cap: float,
    weight: float,
) -> np.ndarray:
    """Objective change of swapping each of ``members`` with each movable single (inf: same table);
    see ``SessionSearch.batch_swap_deltas``, whose arguments these are.

    For member m at table h, ``gains[t, k]`` is the diversity change, on the feature of value column
    k, of swapping m with a member at table t whose value there is k: k leaves t and joins h, m's
    value leaves h and joins t (nothing when both share the value). A swap's diversity change is the
    sum of its partner's cells over the features; capped as in ``SessionSearch._capped``, plus the
    change of the two members' seat costs."""
    tables, columns = leave_gain.shape
    features = codes.shape[1]
    deltas = np.empty((members.shape[0], singles.shape[0]))
    gains = np.empty((tables, columns))
    moving = np.empty(features)
    above = max(headroom, 0.0)
    for row in range(members.shape[0]):
        member = members[row]
        here = table_of[member]
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
                deltas[row, col] = np.inf
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
            deltas[row, col] = delta
    return deltas
