"""What users of the selection engine rely on beyond brute-force equality."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from instances import make_instance, odd_cycle_instance

from civicforum.selection import (
    Algorithm,
    InfeasibleQuotasError,
    SelectionError,
    SelectionSettings,
    check_panel,
    find_distribution,
    find_panel,
)
from civicforum.selection.algorithms.relaxation import _longest_step
from civicforum.selection.types import Instance


def alternate_instance(scale: int = 10):
    """Flanigan et al.'s "Alternate" example: two big opposite groups and one volunteer in both minorities."""
    rows = [("f", "l")] * (10 * scale - 1) + [("m", "c")] * (10 * scale) + [("f", "c")]
    half = scale - 1
    quotas = {
        ("f0", "f"): (half, 2 * scale),
        ("f0", "m"): (half, 2 * scale),
        ("f1", "l"): (half, 2 * scale),
        ("f1", "c"): (half, 2 * scale),
    }
    return make_instance(rows, quotas, 2 * scale)


def test_legacy_leaves_some_volunteers_almost_no_chance_where_leximin_gives_everyone_ten_percent() -> None:
    instance = alternate_instance()
    fair = find_distribution(instance, Algorithm.LEXIMIN)
    assert min(fair.selection_probabilities.values()) == pytest.approx(0.1, abs=1e-6)
    legacy = find_distribution(instance, Algorithm.LEGACY, settings=SelectionSettings(legacy_runs=300))
    assert all(not check_panel(instance, panel) for panel in legacy.panels)
    assert legacy.selection_probabilities["p199"] < 0.03
    assert fair.selection_probabilities["p199"] == pytest.approx(0.1, abs=1e-6)


def test_find_panel_maximises_weight_within_quotas() -> None:
    instance = alternate_instance(1)
    assert find_panel(instance, {"p19": 5.0, "p3": 1.0}) == ("p19", "p3")
    assert find_panel(instance, {"p19": -1.0, "p3": 1.0, "p12": 2.0}) == ("p12", "p3")


def test_check_panel_names_each_broken_rule() -> None:
    instance = make_instance(
        [("a",), ("a",), ("b",)], {("f0", "a"): (0, 1), ("f0", "b"): (1, 1)}, 2, {0: "h", 1: "h"}
    )
    problems = check_panel(instance, ("p0", "p1"))
    assert any("at most 1 allowed" in p for p in problems)
    assert any("at least 1 needed" in p for p in problems)
    assert any("share a household" in p for p in problems)
    assert check_panel(instance, ("p0", "p2")) == []


def test_infeasible_quotas_are_reported_before_any_work() -> None:
    instance = make_instance([("a",), ("a",), ("b",)], {("f0", "a"): (0, 0), ("f0", "b"): (2, 2)}, 2)
    for algorithm in Algorithm:
        with pytest.raises(InfeasibleQuotasError):
            find_distribution(instance, algorithm)


def test_already_selected_member_sits_on_every_panel_and_their_household_on_none() -> None:
    rows = [("a",), ("a",), ("b",), ("b",), ("a",)]
    instance = make_instance(
        rows, {("f0", "a"): (1, 2), ("f0", "b"): (1, 2)}, 3, {0: "h", 1: "h"}, frozenset({"p0"})
    )
    result = find_distribution(instance, Algorithm.NASH)
    assert result.selection_probabilities["p0"] == pytest.approx(1.0)
    assert result.selection_probabilities["p1"] == 0.0
    assert result.certificate["excluded"] == ["p1"]


def test_progress_reaches_the_end_and_unknown_algorithms_are_refused() -> None:
    seen: list[float] = []
    find_distribution(
        alternate_instance(1), "goldilocks", progress=lambda fraction, message: seen.append(fraction)
    )
    assert seen[-1] == 1.0
    with pytest.raises(SelectionError, match="Unknown algorithm"):
        find_distribution(alternate_instance(1), "fastest")


@pytest.mark.parametrize(
    "instance", [alternate_instance(1), odd_cycle_instance(members=4, seats_per_value=3)]
)
def test_leximin_progress_speaks_to_an_officer_not_to_an_optimiser(instance: Instance) -> None:
    """The run page shows these messages while a panel is drawn: 'Fair point of the relaxation: 1 levels'
    and 'column generation' meant nothing to a council officer."""
    seen: list[str] = []
    find_distribution(instance, "leximin", progress=lambda fraction, message: seen.append(message))
    jargon = ("relaxation", "column generation", "level", "fractional")
    assert seen and not [message for message in seen if any(word in message.lower() for word in jargon)]


def test_goldilocks_trades_a_little_minimum_for_a_lower_maximum() -> None:
    rows = [("a", "x")] * 3 + [("a", "y")] * 12 + [("b", "x")] * 10 + [("b", "y")] * 5
    quotas = {("f0", "a"): (3, 3), ("f0", "b"): (3, 3), ("f1", "x"): (2, 4), ("f1", "y"): (2, 4)}
    instance = make_instance(rows, quotas, 6)
    leximin = find_distribution(instance, Algorithm.LEXIMIN).selection_probabilities.values()
    goldilocks = find_distribution(instance, Algorithm.GOLDILOCKS)
    share = 6 / 30
    objective = max(goldilocks.selection_probabilities.values()) / share + share / min(
        goldilocks.selection_probabilities.values()
    )
    assert objective <= max(leximin) / share + share / min(leximin) + 1e-6
    assert goldilocks.certificate["optimal"]


@st.composite
def malformed_instances(draw) -> Instance:
    """Instances the file readers would refuse: any panel size, an empty pool, repeated ids."""
    rows = draw(st.lists(st.tuples(st.sampled_from("ab")), max_size=5))
    instance = make_instance(rows, {("f0", "a"): (0, 3), ("f0", "b"): (0, 3)}, draw(st.integers(-1, 7)))
    copies = draw(st.lists(st.sampled_from(instance.people), max_size=2)) if instance.people else []
    return replace(instance, people=instance.people + tuple(copies))


@settings(max_examples=40, deadline=None)
@given(malformed_instances(), st.sampled_from(list(Algorithm)))
def test_malformed_instances_are_refused_in_words_or_give_a_distribution_that_adds_up(
    instance: Instance, algorithm: Algorithm
) -> None:
    """Before, an empty pool crashed with HiGHS's RuntimeError, a panel size of 0 was called clashing
    quotas, and a repeated id gave chances summing to less than the panel size."""
    try:
        result = find_distribution(instance, algorithm, settings=SelectionSettings(legacy_runs=20))
    except InfeasibleQuotasError:
        assert instance.panel_size >= 1
        return
    except SelectionError as error:
        assert str(error).startswith(("The pool is empty", "The panel size", "Each volunteer needs"))
        return
    assert all(not check_panel(instance, panel) for panel in result.panels)
    assert sum(result.selection_probabilities.values()) == pytest.approx(instance.panel_size)


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        SelectionSettings(tolerance=0)
    with pytest.raises(ValueError, match="legacy_runs"):
        SelectionSettings(legacy_runs=0)


def test_time_limit_returns_a_valid_distribution_marked_not_proven() -> None:
    rows = [(a, b) for a in "ab" for b in "xyz" for _ in range(4)] + [("a", "x"), ("b", "z")]
    quotas = {
        ("f0", "a"): (4, 5),
        ("f0", "b"): (4, 5),
        ("f1", "x"): (2, 4),
        ("f1", "y"): (2, 4),
        ("f1", "z"): (2, 4),
    }
    instance = make_instance(rows, quotas, 9)
    rushed = find_distribution(
        instance, Algorithm.LEXIMIN, settings=SelectionSettings(time_limit=1e-9, initial_random_panels=0)
    )
    assert all(not check_panel(instance, panel) for panel in rushed.panels)
    assert sum(rushed.selection_probabilities.values()) == pytest.approx(9)
    assert rushed.certificate["optimal"] is False
    assert find_distribution(instance, Algorithm.LEXIMIN).certificate["optimal"] is True


@pytest.mark.parametrize("algorithm", [Algorithm.LEXIMIN, Algorithm.MAXIMIN])
def test_a_run_cut_short_just_after_finding_a_new_panel_still_returns_a_distribution(algorithm) -> None:
    # One pricing round: the MILP adds a panel and the run stops before the LP sees it. The relaxation
    # is not tight here, so the run takes the column generation path where that can happen.
    instance = odd_cycle_instance(members=4, seats_per_value=3)
    rushed = find_distribution(
        instance, algorithm, settings=SelectionSettings(max_iterations=1, initial_random_panels=0)
    )
    assert all(not check_panel(instance, panel) for panel in rushed.panels)
    assert sum(rushed.selection_probabilities.values()) == pytest.approx(instance.panel_size)
    assert rushed.certificate["optimal"] is False


def test_a_peeling_step_is_limited_only_by_the_rows_the_direction_moves() -> None:
    """Rows a step does not move must not stop it (it once stalled the peeling at step length 0)."""
    value, low, high = np.array([3.0, 1.0]), np.zeros(2), np.array([4.0, 1.0])
    assert _longest_step(value, np.zeros(2), low, high) == float("inf")
    assert _longest_step(value, np.array([0.5, 0.0]), low, high) == pytest.approx(2.0)
    assert _longest_step(value, np.array([-1.5, 0.0]), low, high) == pytest.approx(2.0)
