"""Published counts: small counts hidden, and never recoverable from the total and the counts shown."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from civicforum.selection.disclosure import (
    FEWER,
    NOT_SHOWN,
    SMALLEST_SHOWN,
    targets_shown,
    withhold_small_counts,
)


def possible_values(shown: list[str], total: int) -> list[set[int]]:
    """Every value each cell could have, for a reader who knows the total and what each label means."""
    ranges = [
        range(1, SMALLEST_SHOWN)
        if text == FEWER
        else range(SMALLEST_SHOWN, total + 1)
        if text == NOT_SHOWN
        else range(int(text), int(text) + 1)
        for text in shown
    ]
    return consistent_values([set(cell) for cell in ranges], total)


def consistent_values(candidates: list[set[int]], total: int) -> list[set[int]]:
    """Of each cell's candidate values, those that some choice for every cell adding up to ``total`` uses."""
    seen: list[set[int]] = [set() for _ in candidates]
    for values in itertools.product(*candidates):
        if sum(values) == total:
            for cell, value in zip(seen, values, strict=True):
                cell.add(value)
    return seen


def assert_no_small_count_pinned(counts: list[int], shown: list[str], possible: list[set[int]]) -> None:
    """Each count is among its possible values, and no 'fewer than 5' comes down to one value while a
    count still shown could have been hidden instead."""
    for count, text, values in zip(counts, shown, possible, strict=True):
        assert count in values
        if text != FEWER:
            continue
        hideable = [c for c, t in zip(counts, shown, strict=True) if c and t not in (FEWER, NOT_SHOWN)]
        assert len(values) > 1 or not hideable


def test_counts_of_five_or_more_are_shown_when_no_small_count_needs_hiding() -> None:
    cells = [("gender", 9), ("gender", 0), ("age", 6), ("age", 3), ("age", 2)]
    assert withhold_small_counts(cells) == ["9", "0", "6", FEWER, FEWER]


def test_a_lone_small_count_hides_the_next_smallest_count_of_its_feature_only() -> None:
    cells = [("gender", 40), ("gender", 7), ("gender", 3), ("age", 30), ("age", 20)]
    assert withhold_small_counts(cells) == ["40", NOT_SHOWN, FEWER, "30", "20"]


def test_small_counts_pinned_by_their_sum_hide_more() -> None:
    # 1 and 1 could only be 1 each (both at least 1, adding up to 2); 1 beside 5 could only be 1.
    assert withhold_small_counts([("x", 1), ("x", 1), ("x", 10)]) == [FEWER, FEWER, NOT_SHOWN]
    assert withhold_small_counts([("x", 1), ("x", 5), ("x", 44)]) == [FEWER, NOT_SHOWN, NOT_SHOWN]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=12), min_size=2, max_size=4))
def test_no_small_count_can_be_worked_out_whenever_anything_could_hide_it(counts: list[int]) -> None:
    shown = withhold_small_counts([("feature", count) for count in counts])
    assert_no_small_count_pinned(counts, shown, possible_values(shown, sum(counts)))


def test_a_target_is_withheld_where_it_would_narrow_a_withheld_count() -> None:
    # 2 of 12 with a target of exactly 2; 10 of 12 withheld beside it, its target 8 to 12 would narrow it.
    cells = [
        ("disability", 2, 2, 2),
        ("disability", 10, 8, 12),
        ("gender", 6, 5, 7),
        ("gender", 6, None, None),
    ]
    assert targets_shown(cells) == ([FEWER, NOT_SHOWN, "6", "6"], [False, False, True, True])
    # 'at least 1' and 'up to 4' say no more than 'fewer than 5' does; 'any number' no more than 'not shown'.
    cells = [("x", 3, 1, None), ("x", 1, 0, 4), ("y", 3, None, None), ("y", 9, None, None)]
    assert targets_shown(cells) == ([FEWER, FEWER, FEWER, NOT_SHOWN], [True, True, True, True])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 12) | st.none()),
        min_size=2,
        max_size=4,
    )
)
def test_no_small_count_can_be_worked_out_from_the_targets_shown_beside_the_counts(
    drawn: list[tuple[int, int, int | None]],
) -> None:
    """The reader also knows the panel meets every target shown (its minimum and maximum)."""
    cells = [
        ("feature", count, min(low, count), None if high is None else max(high, count))
        for count, low, high in drawn
    ]
    counts = [count for _feature, count, _low, _high in cells]
    total = sum(counts)
    published, target_ok = targets_shown(cells)
    from_labels = possible_values(published, total)
    candidates = [
        {value for value in labelled if not ok or (low or 0) <= value <= (total if high is None else high)}
        for labelled, (_feature, _count, low, high), ok in zip(from_labels, cells, target_ok, strict=True)
    ]
    assert_no_small_count_pinned(counts, published, consistent_values(candidates, total))
