"""Counts safe to publish: small counts hidden, and enough others hidden that they cannot be worked out.

A published table of a feature's counts (gender: women, men, prefer not to say) adds up to a total a
reader can know (the panel size, or another feature's counts). Hiding one small count is then no
protection: it is the total minus the counts shown. Statistical offices call the fix secondary (or
complementary) suppression; this module is the one place CivicForum does it.

A target printed beside a count (the panel was drawn to meet it) tells as much as the count when its
minimum equals its maximum, and narrows it otherwise: a hidden count's target is withheld too unless
it says no more than the count's label.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence

SMALLEST_SHOWN = 5
FEWER = f"fewer than {SMALLEST_SHOWN}"
NOT_SHOWN = "not shown"
EXPLANATION = (
    f"Counts from 1 to {SMALLEST_SHOWN - 1} are shown as ‘{FEWER}’, and where one of them could be worked "
    f"out from the other counts, another count is ‘{NOT_SHOWN}’ as well, so that nobody can be identified."
)
TARGETS_EXPLANATION = (
    f"A target (the fewest and the most members allowed) is ‘{NOT_SHOWN}’ when it would tell you more "
    "about a count that is not shown, for example a target of exactly 2."
)


def withhold_small_counts(cells: Sequence[tuple[Hashable, int]]) -> list[str]:
    """Each ``(feature, count)`` cell as it may be published, in the same order.

    Counts from 1 to 4 read 'fewer than 5'. Then, feature by feature, while a reader who knows the
    feature's total could still work one of them out exactly, the smallest nonzero count still shown
    reads 'not shown' too (a count of 5 or more, so the two labels never lie). A feature whose every
    nonzero count is already hidden cannot be protected further and is left as it is.
    """
    published = [str(count) if count == 0 or count >= SMALLEST_SHOWN else FEWER for _, count in cells]
    by_feature: dict[Hashable, list[int]] = defaultdict(list)
    for index, (feature, _count) in enumerate(cells):
        by_feature[feature].append(index)
    for indexes in by_feature.values():
        counts = {index: cells[index][1] for index in indexes}
        total = sum(counts.values())
        while _small_count_recoverable(counts, published, total):
            still_shown = [i for i in indexes if counts[i] and published[i] not in (FEWER, NOT_SHOWN)]
            if not still_shown:
                break
            published[min(still_shown, key=lambda i: counts[i])] = NOT_SHOWN
    return published


def _small_count_recoverable(counts: dict[int, int], published: list[str], total: int) -> bool:
    """Whether the total, the shown counts and the labels' ranges leave a small count one value.

    Each hidden cell lies in its label's range (1-4, or 5 up to the total) and the hidden cells add up
    to the total less the counts shown; a cell's own range narrows to what the others' ranges allow.
    """
    ranges = {
        i: (1, SMALLEST_SHOWN - 1) if published[i] == FEWER else (SMALLEST_SHOWN, total)
        for i in counts
        if published[i] in (FEWER, NOT_SHOWN)
    }
    hidden_sum = sum(counts[i] for i in ranges)
    lowest = sum(low for low, _high in ranges.values())
    highest = sum(high for _low, high in ranges.values())
    for i, (low, high) in ranges.items():
        if published[i] != FEWER:
            continue
        at_least = max(low, hidden_sum - (highest - high))
        at_most = min(high, hidden_sum - (lowest - low))
        if at_least == at_most:
            return True
    return False


def targets_shown(
    cells: Sequence[tuple[Hashable, int, int | None, int | None]],
) -> tuple[list[str], list[bool]]:
    """Each ``(feature, count, minimum, maximum)`` cell's count as it may be published (as
    ``withhold_small_counts``), and whether its target (None: no limit) may be published beside it.

    A shown count's target gives nothing away. A hidden count lies, for the reader, somewhere in its
    label's range (1-4, or 5 up to the feature's total); its target is shown only when it allows that
    whole range, so that the count stays as uncertain as the label says ('at least 1', 'up to 10').
    """
    published = withhold_small_counts([(feature, count) for feature, count, _low, _high in cells])
    totals = _totals([(feature, count) for feature, count, _low, _high in cells])
    shown = []
    for (feature, _count, low, high), label in zip(cells, published, strict=True):
        if label == FEWER:
            hidden_low, hidden_high = 1, SMALLEST_SHOWN - 1
        elif label == NOT_SHOWN:
            hidden_low, hidden_high = SMALLEST_SHOWN, totals[feature]
        else:
            shown.append(True)
            continue
        shown.append((low or 0) <= hidden_low and (high is None or high >= hidden_high))
    return published, shown


def withheld_beside(
    beside: Sequence[str], cells: Sequence[tuple[Hashable, int]], published: Sequence[str]
) -> list[str]:
    """Counts published beside ``cells`` (published as ``published``) that bound them from above, as a
    group's volunteers bound its members on the panel. 5 volunteers beside 'not shown' members of a
    panel of 8 say all 5 are on it: wherever a count shown would narrow a 'not shown' one, every count
    of that feature beside is withheld, as hiding that one alone would leave it the total less the rest.

    A count shown is 5 or more, so it never narrows 'fewer than 5'; nor a 'not shown' count once it
    reaches the feature's total.
    """
    totals = _totals(cells)
    hidden = (FEWER, NOT_SHOWN)
    narrowing = {
        feature
        for text, (feature, _count), label in zip(beside, cells, published, strict=True)
        if label == NOT_SHOWN and text not in hidden and int(text) < totals[feature]
    }
    return [
        NOT_SHOWN if feature in narrowing and text not in hidden and text != "0" else text
        for text, (feature, _count) in zip(beside, cells, strict=True)
    ]


def _totals(cells: Sequence[tuple[Hashable, int]]) -> dict[Hashable, int]:
    """Each feature's total: what a reader who knows the panel (or the pool) adds the counts up to."""
    totals: dict[Hashable, int] = defaultdict(int)
    for feature, count in cells:
        totals[feature] += count
    return totals
