"""The scores GroupSelect uses (diversity D, meetings M, repeat pairs) and the coupled lower bound on D.

Definitions follow ``shared/data/tables/README.md``. With absent members, the "panel share" p_f(v) of a
session is the share among the members seated in it, so a table can still score 0 by mirroring the
room; with everybody present this is exactly the panel's share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from fractions import Fraction
from functools import lru_cache
from itertools import combinations

import highspy
import numpy as np

from civicforum.highs import quiet_highs

from .model import Member, Seating


def _table_deviation(counts: Counter[str], size: int, shares: Mapping[str, float]) -> float:
    """sum_v |c(v)/n - p(v)| for one table and one feature."""
    return sum(abs(counts.get(value, 0) / size - share) for value, share in shares.items())


def _session_shares(members: Mapping[str, Member], session: Sequence[Sequence[str]], feature: str):
    seated = [member for table in session for member in table]
    counts = Counter(members[member].features[feature] for member in seated)
    return {value: count / len(seated) for value, count in counts.items()}


def diversity(members: Mapping[str, Member], seating: Seating, features: Sequence[str]) -> float:
    """D: mean over features, sessions and non-empty tables of sum_v |c_st(f,v)/n_st - p_f(v)|."""
    total = 0.0
    terms = 0
    for session in seating:
        for feature in features:
            shares = _session_shares(members, session, feature)
            for table in session:
                if table:
                    counts = Counter(members[member].features[feature] for member in table)
                    total += _table_deviation(counts, len(table), shares)
                    terms += 1
    return total / terms if terms else 0.0


def _pair_meetings(seating: Seating) -> Counter[tuple[str, str]]:
    meetings: Counter[tuple[str, str]] = Counter()
    for session in seating:
        for table in session:
            meetings.update(combinations(sorted(table), 2))
    return meetings


def meetings(seating: Seating) -> float:
    """M = (U - max_s Pi_s) / (sum_s Pi_s - max_s Pi_s); 1 when no pair ever sits together twice.

    With a single session (or none) every seating is as good as any other, so M is 1.
    """
    pairs_per_session = [sum(len(table) * (len(table) - 1) // 2 for table in session) for session in seating]
    denominator = sum(pairs_per_session) - max(pairs_per_session, default=0)
    if denominator == 0:
        return 1.0
    distinct = len(_pair_meetings(seating))
    return (distinct - max(pairs_per_session)) / denominator


def random_meetings(seating: Seating) -> float:
    """Expected M of a random seating with the same sessions, attendance and table sizes: the reference
    the issue's mixing target is set against, exactly rather than by sampling.

    M is linear in U, the number of distinct pairs that met; a pair present together in session s meets
    there with probability q_s = sum_t n_t (n_t - 1) / (N_s (N_s - 1)), independently across sessions.
    """
    pairs_per_session = [sum(len(table) * (len(table) - 1) // 2 for table in session) for session in seating]
    denominator = sum(pairs_per_session) - max(pairs_per_session, default=0)
    if denominator == 0:
        return 1.0
    ids = sorted({member for session in seating for table in session for member in table})
    index = {member: i for i, member in enumerate(ids)}
    present = np.zeros((len(seating), len(ids)))
    never_meet = np.zeros(len(seating))  # log(1 - q_s), -inf when everyone in s shares one table
    for s, session in enumerate(seating):
        seated = [index[member] for table in session for member in table]
        present[s, seated] = 1
        together = sum(len(table) * (len(table) - 1) for table in session)
        with np.errstate(divide="ignore"):
            never_meet[s] = np.log1p(-together / (len(seated) * (len(seated) - 1))) if len(seated) > 1 else 0
    # Pairs present in no session together have exponent 0 (never meet); -inf * 0 is taken as 0.
    exponent = np.einsum("si,s,sj->ij", present, np.nan_to_num(never_meet, neginf=-1e9), present)
    met = 1 - np.exp(exponent)
    expected = float(np.triu(met, k=1).sum())
    return (expected - max(pairs_per_session)) / denominator


def repeat_pairs(seating: Seating) -> int:
    """Distinct pairs of members seated together in more than one session."""
    return sum(1 for count in _pair_meetings(seating).values() if count > 1)


@lru_cache(maxsize=256)
def _feature_lower_bound(value_counts: tuple[int, ...], table_sizes: tuple[int, ...]) -> float:
    """Exact minimum of sum_t sum_v |c_tv/n_t - p_v| over integer tables with the given margins.

    Each term is convex in c_tv, so tables of one size share a value's members as evenly as they can,
    and then each table of the size can still be filled to it (deal each value's extra members round
    the tables). So only each size's count of each value is chosen, in unit steps (the k-th member
    costs the increase of the even split's deviations): a transportation LP whose matrix is a
    bipartite graph's incidence matrix, so the simplex method's optimal vertex is integral. The
    minimum is evaluated in exact arithmetic from those counts, so the bound is the same float
    whichever optimal tables the solver returns. Cached, since every session with the same attendance
    poses the same problem."""
    total = sum(value_counts)
    groups = sorted(Counter(table_sizes).items())  # (size, number of tables of that size)

    def excess(size: int, v: int, c: int) -> int:  # |c/n - p_v| at a table of n = size, times n * total
        return abs(c * total - value_counts[v] * size)

    def spread(size: int, tables: int, v: int, c: int) -> int:  # excess of c members split evenly
        each, extra = divmod(c, tables)
        return (tables - extra) * excess(size, v, each) + extra * excess(size, v, each + 1)

    steps = [
        (g, v, k)
        for g, (size, tables) in enumerate(groups)
        for v, count in enumerate(value_counts)
        for k in range(1, min(size * tables, count) + 1)
    ]
    step_cost = [
        (spread(*groups[g], v, k) - spread(*groups[g], v, k - 1)) / (groups[g][0] * total)
        for g, v, k in steps
    ]
    highs = quiet_highs()
    highs.setOptionValue("solver", "simplex")  # a vertex, so integral; an interior point need not be
    margins = np.array([*(size * tables for size, tables in groups), *value_counts], dtype=float)
    no_entries = np.array([], dtype=np.int32)
    highs.addRows(len(margins), margins, margins, 0, no_entries, no_entries, np.array([]))
    rows = np.array([[g, len(groups) + v] for g, v, _ in steps], dtype=np.int32).ravel()
    highs.addCols(
        len(steps),
        np.array(step_cost),
        np.zeros(len(steps)),
        np.ones(len(steps)),
        len(rows),
        np.arange(len(steps), dtype=np.int32) * 2,
        rows,
        np.ones(len(rows)),
    )
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        status = highs.modelStatusToString(highs.getModelStatus())
        raise ValueError(f"lower bound problem not solved: {status}")
    counts = np.zeros((len(groups), len(value_counts)), dtype=int)
    for (g, v, _), taken in zip(steps, np.rint(highs.getSolution().col_value).astype(int), strict=True):
        counts[g, v] += taken
    if not np.array_equal([*counts.sum(axis=1), *counts.sum(axis=0)], margins):  # the rows' margins
        raise ValueError("lower bound problem solved with fractional tables")
    minimum = sum(
        Fraction(
            sum(spread(size, tables, v, int(counts[g, v])) for v in range(len(value_counts))), size * total
        )
        for g, (size, tables) in enumerate(groups)
    )
    return float(minimum)


def diversity_lower_bound(
    members: Sequence[Member], features: Sequence[str], table_sizes: Sequence[int]
) -> float:
    """Coupled lower bound on D for one session seating ``members`` at tables of ``table_sizes``.

    Per feature, the best integer tables when features are balanced independently; averaged over
    features and tables as D is. No seating can score below it.
    """
    if not features or not table_sizes:
        return 0.0
    bound = 0.0
    for feature in features:
        counts = Counter(member.features[feature] for member in members)
        bound += _feature_lower_bound(tuple(sorted(counts.values())), tuple(sorted(table_sizes)))
    return bound / (len(features) * len(table_sizes))


def seating_lower_bound(members: Mapping[str, Member], seating: Seating, features: Sequence[str]) -> float:
    """Lower bound on D for the sessions of ``seating``: each session's bound for the members it seats
    and its table sizes, averaged as D averages (weighted by the number of non-empty tables)."""
    weighted = 0.0
    tables = 0
    for session in seating:
        sizes = [len(table) for table in session if table]
        seated = [members[member] for table in session for member in table]
        weighted += diversity_lower_bound(seated, features, sizes) * len(sizes)
        tables += len(sizes)
    return weighted / tables if tables else 0.0
