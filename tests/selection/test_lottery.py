"""Transparent lottery: rounding keeps panels valid and chances close, commitments and draws reproducible."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from civicforum.selection.io import load_instance
from civicforum.selection.lottery import (
    Lottery,
    canonical_panels,
    commitment_of,
    draw_index,
    new_seed,
    round_to_lottery,
    verify_draw,
)
from civicforum.selection.types import Algorithm, Instance, Panel, SelectionResult


def result_of(panels: Sequence[Panel], weights: Sequence[float]) -> SelectionResult:
    total = sum(weights)
    probabilities: dict[str, float] = {}
    for panel, weight in zip(panels, weights, strict=True):
        for person in panel:
            probabilities[person] = probabilities.get(person, 0.0) + weight / total
    return SelectionResult(
        Algorithm.MAXIMIN, "test", tuple(panels), tuple(w / total for w in weights), probabilities
    )


def largest_remainder_deviation(result: SelectionResult, size: int) -> float:
    """The deviation of plain largest-remainder rounding, which the optimised rounding must not exceed."""
    targets = np.array(result.panel_probabilities) * size
    counts = np.floor(targets + 1e-9)
    for j in np.argsort(-(targets - counts), kind="stable")[: int(round(size - counts.sum()))]:
        counts[j] += 1
    got = Counter(p for j, panel in enumerate(result.panels) for p in panel for _ in range(int(counts[j])))
    return max(abs(got.get(p, 0) / size - q) for p, q in result.selection_probabilities.items())


def check_lottery(result: SelectionResult, lottery: Lottery, size: int) -> None:
    assert lottery.size == size
    assert set(lottery.panels) <= {tuple(sorted(p)) for p in result.panels}
    assert lottery.panels == canonical_panels(lottery.panels)
    chances = lottery.probabilities()
    worst = max(abs(chances.get(p, 0.0) - q) for p, q in result.selection_probabilities.items())
    assert worst == pytest.approx(lottery.max_deviation, abs=1e-12)
    assert lottery.max_deviation <= largest_remainder_deviation(result, size) + 1e-12


panel_sets = st.lists(
    st.frozensets(st.sampled_from([f"v{i}" for i in range(12)]), min_size=3, max_size=3),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(
    panels=panel_sets,
    weights=st.lists(st.floats(0.01, 1.0), min_size=25, max_size=25),
    size=st.sampled_from([1, 7, 50, 1000]),
)
def test_rounding_is_exact_in_size_and_bounded_in_loss(
    panels: list[frozenset[str]], weights: list[float], size: int
) -> None:
    distinct = sorted({tuple(sorted(p)) for p in panels})
    result = result_of(distinct, weights[: len(distinct)])
    lottery = round_to_lottery(result, size)
    check_lottery(result, lottery, size)
    assert lottery.max_deviation <= len(distinct) / size


def test_rounding_a_real_distribution_keeps_every_panel_within_quotas(
    shared_data: Path, distribution_finder: Callable[..., SelectionResult]
) -> None:
    folder = shared_data / "sf_fixture_22"
    instance: Instance = load_instance(folder / "people.csv", folder / "features.csv", 22)
    result = distribution_finder(instance, Algorithm.MAXIMIN)
    lottery = round_to_lottery(result, 1000)
    check_lottery(result, lottery, 1000)
    assert lottery.max_deviation < 0.01
    by_id = {p.id: p for p in instance.people}
    for panel in set(lottery.panels):
        assert len(panel) == 22
        for quota in instance.quotas:
            count = sum(1 for i in panel if by_id[i].features[quota.feature] == quota.value)
            assert quota.min <= count <= quota.max


def test_commitment_is_the_hash_of_the_canonical_panels() -> None:
    panels = [("b", "a"), ("c", "a"), ("a", "b")]
    expected = hashlib.sha256(b'[["a","b"],["a","b"],["a","c"]]').hexdigest()
    assert commitment_of(panels) == expected
    assert commitment_of(list(reversed(panels))) == expected
    assert commitment_of([("a", "b"), ("a", "b"), ("a", "d")]) != expected


def test_draw_index_is_the_documented_hash_and_reproducible() -> None:
    commitment = "ab" * 32
    digest = hashlib.sha256(f"{commitment}:7 12 23 34 41 49".encode()).hexdigest()
    assert draw_index(commitment, "7 12 23 34 41 49", 1000) == int(digest, 16) % 1000
    assert draw_index(commitment, "7 12 23 34 41 49", 1000) == draw_index(
        commitment, "7 12 23 34 41 49", 1000
    )
    assert len({draw_index(commitment, str(seed), 1000) for seed in range(50)}) > 40
    assert new_seed() != new_seed()


def test_draws_follow_the_lottery() -> None:
    """Chi-square with fixed seeds: over 4000 public seeds each panel is drawn in proportion to its copies."""
    panels = [("a", "b"), ("a", "c"), ("b", "c"), ("c", "d")]
    result = result_of(panels, [0.4, 0.3, 0.2, 0.1])
    lottery = round_to_lottery(result, 20)
    copies = Counter(lottery.panels)
    drawn = Counter(lottery.draw(f"seed-{i}")[1] for i in range(4000))
    distinct = sorted(copies)
    statistic = chisquare([drawn[p] for p in distinct], [4000 * copies[p] / 20 for p in distinct])
    assert statistic.pvalue > 0.001
    person_rate = Counter(p for i in range(4000) for p in lottery.draw(f"seed-{i}")[1])
    for person, probability in result.selection_probabilities.items():
        assert person_rate[person] / 4000 == pytest.approx(probability, abs=0.03)


def test_verify_draw_accepts_the_true_panel_and_names_tampering() -> None:
    result = result_of([("a", "b"), ("a", "c"), ("b", "c")], [1, 1, 1])
    lottery = round_to_lottery(result, 30)
    index, panel = lottery.draw("42")
    assert verify_draw(lottery.panels, lottery.commitment, "42", panel) == []
    others = [p for p in set(lottery.panels) if p != panel]
    wrong = verify_draw(lottery.panels, lottery.commitment, "42", others[0])
    assert len(wrong) == 1 and f"picks panel {index + 1} of 30" in wrong[0]
    tampered = list(lottery.panels)
    tampered[0] = others[0] if tampered[0] != others[0] else panel
    assert any(
        "not the published commitment" in p for p in verify_draw(tampered, lottery.commitment, "42", panel)
    )
