"""Scores and the lower bound, checked against small cases worked by hand and the README's figures."""

import csv
import json
from fractions import Fraction
from itertools import permutations, product
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.tables import (
    Member,
    diversity,
    diversity_lower_bound,
    meetings,
    random_meetings,
    repeat_pairs,
)

MEMBERS = {m.id: m for m in [Member(i, {"g": i[0].upper()}) for i in ("a1", "a2", "b1", "b2")]}
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "tables"


def test_diversity_is_zero_when_every_table_mirrors_the_panel():
    assert diversity(MEMBERS, [[["a1", "b1"], ["a2", "b2"]]], ["g"]) == 0


def test_diversity_of_segregated_tables():
    # each table: |1 - 1/2| + |0 - 1/2| = 1; mean over tables and sessions is 1
    assert diversity(MEMBERS, [[["a1", "a2"], ["b1", "b2"]]] * 2, ["g"]) == pytest.approx(1.0)


def test_meetings_and_repeats_same_tables_every_session():
    same = [[["a1", "a2"], ["b1", "b2"]]] * 2
    assert meetings(same) == 0  # U=2, Pi=2 per session: (2-2)/(4-2)
    assert repeat_pairs(same) == 2


def test_meetings_and_repeats_all_new_faces():
    fresh = [[["a1", "a2"], ["b1", "b2"]], [["a1", "b1"], ["a2", "b2"]]]
    assert meetings(fresh) == 1  # U=4: (4-2)/(4-2)
    assert repeat_pairs(fresh) == 0


def test_meetings_partial_mixing():
    # 6 members, tables of 3; session 2 seats (a, b) and (e, f) together again: U = 6 + 6 - 2 = 10
    seating = [[["a", "b", "c"], ["d", "e", "f"]], [["a", "b", "d"], ["c", "e", "f"]]]
    assert meetings(seating) == pytest.approx((10 - 6) / (12 - 6))
    assert repeat_pairs(seating) == 2  # (a, b) and (e, f)


def test_random_meetings_hand_worked():
    # Two sessions of two tables of two: a pair meets in a session with probability 1/3, so
    # E[U] = 6 (1 - (2/3)^2) = 10/3 and E[M] = (10/3 - 2) / (4 - 2) = 2/3.
    assert random_meetings([[["a1", "b1"], ["a2", "b2"]]] * 2) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    "plan",
    [
        [[["a", "b"], ["c", "d", "e"]], [["a", "b", "c"], ["d", "e"]]],
        [[["a", "b"], ["c", "d"]], [["a", "b", "c"], ["d", "e"]], [["b", "e"], ["c"]]],  # absences
    ],
)
def test_random_meetings_is_the_mean_over_every_random_seating(plan):
    """Enumerates every way of seating each session's members in its seats (as random seating
    draws them, uniformly) and averages M."""

    def seatings(session):
        people = [m for table in session for m in table]
        sizes = [len(table) for table in session]
        for order in permutations(people):
            cuts = [sum(sizes[:t]) for t in range(len(sizes) + 1)]
            yield [list(order[cuts[t] : cuts[t + 1]]) for t in range(len(sizes))]

    scores = [meetings(list(choice)) for choice in product(*(list(seatings(s)) for s in plan))]
    assert random_meetings(plan) == pytest.approx(sum(scores) / len(scores))


def test_lower_bound_hand_worked():
    # A, A, B at tables of 2 and 1. Best: {A,B} + {A}: (1/6 + 1/6) + (1/3 + 1/3) = 1, over 2 tables
    members = [Member("x", {"g": "A"}), Member("y", {"g": "A"}), Member("z", {"g": "B"})]
    assert diversity_lower_bound(members, ["g"], [2, 1]) == pytest.approx(0.5)


def test_lower_bound_is_zero_when_shares_divide_evenly():
    members = [Member(str(i), {"g": "AB"[i % 2], "h": "XYZ"[i % 3]}) for i in range(12)]
    assert diversity_lower_bound(members, ["g"], [6, 6]) == pytest.approx(0)
    assert diversity_lower_bound(members, ["g", "h"], [6, 6]) == pytest.approx(0)


@pytest.mark.parametrize(("panel", "bound"), [("sp_40", 0.164), ("sp_80", 0.182), ("sp_150", 0.155)])
def test_lower_bound_matches_readme(panel, bound):
    if not DATA.exists():
        pytest.skip("shared data not available")
    meta = json.loads((DATA / panel / "meta.json").read_text())
    with (DATA / panel / "panel.csv").open() as handle:
        members = [Member(row.pop("id"), row) for row in csv.DictReader(handle)]
    assert diversity_lower_bound(members, meta["diversify"], meta["table_sizes"]) == pytest.approx(
        bound, abs=5e-4
    )


def _tables_with_margins(sizes: tuple[int, ...], counts: tuple[int, ...]):
    """Every integer table-by-value matrix whose rows sum to ``sizes`` and columns to ``counts``."""
    if not sizes:
        if not any(counts):
            yield []
        return
    for row in product(*(range(min(sizes[0], count) + 1) for count in counts)):
        if sum(row) == sizes[0]:
            left = tuple(count - taken for count, taken in zip(counts, row, strict=True))
            for rest in _tables_with_margins(sizes[1:], left):
                yield [row, *rest]


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    shares=st.lists(st.integers(1, 6), min_size=1, max_size=3),
)
def test_lower_bound_is_the_exact_minimum_to_the_last_bit(sizes, shares):
    """The bound equals the best integer tables found by trying them all, worked out in exact
    arithmetic, as the same float: a solver's rounding must not change it (the search's budgets and
    so its plans depend on it)."""
    seats = sum(sizes)
    cuts = sorted({min(seats, seats * sum(shares[:i]) // sum(shares)) for i in range(1, len(shares))})
    counts = tuple(b - a for a, b in zip([0, *cuts], [*cuts, seats], strict=True) if b > a)
    members = [
        Member(str(i), {"g": str(v)}) for i, v in enumerate(v for v, c in enumerate(counts) for _ in range(c))
    ]
    best = min(
        sum(
            sum(abs(Fraction(c, size) - Fraction(count, seats)) for c, count in zip(row, counts, strict=True))
            for row, size in zip(table, sizes, strict=True)
        )
        for table in _tables_with_margins(tuple(sizes), counts)
    )
    assert diversity_lower_bound(members, ["g"], sizes) == float(best) / len(sizes)
