"""Infeasible quotas: the right clash is named, in words with counts, and the suggested fix is minimal."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicforum.selection.diagnose import (
    Diagnosis,
    QuotaBound,
    QuotaCheckUndecided,
    apply_relaxation,
    diagnose,
    find_conflict,
    is_feasible,
    minimal_relaxation,
)
from civicforum.selection.types import Instance, Person, Quota

# The module, for monkeypatching: ``civicforum.selection.diagnose`` is also the name of its function.
diagnose_module = importlib.import_module("civicforum.selection.diagnose")

QUOTAS = [
    Quota("gender", "F", 0, 10),
    Quota("gender", "M", 0, 10),
    Quota("age", "Young", 0, 10),
    Quota("age", "Old", 0, 10),
]
Factory = Callable[..., Instance]


def with_quota(instance: Instance, feature: str, value: str, low: int, high: int) -> Instance:
    quotas = tuple(
        replace(q, min=low, max=high) if (q.feature, q.value) == (feature, value) else q
        for q in instance.quotas
    )
    return replace(instance, quotas=quotas)


def diagnosed(instance: Instance) -> Diagnosis:
    """The diagnosis of an instance that must be infeasible."""
    diagnosis = diagnose(instance)
    assert diagnosis is not None, "expected no panel to exist"
    return diagnosis


def test_feasible_instance_has_no_diagnosis(instance_factory: Factory) -> None:
    instance = instance_factory({("F", "Young"): 5, ("M", "Old"): 5}, QUOTAS, 4)
    assert is_feasible(instance)
    assert diagnose(instance) is None


def test_minimum_above_the_number_of_volunteers(instance_factory: Factory) -> None:
    base = instance_factory({("F", "Young"): 4, ("M", "Old"): 10}, QUOTAS, 10)
    diagnosis = diagnosed(with_quota(base, "gender", "F", 6, 8))
    assert diagnosis.conflict == (QuotaBound("gender", "F", "min", 6),)
    assert diagnosis.explanation == ("gender F needs at least 6 but only 4 volunteers have gender F.",)
    assert diagnosis.relaxation is not None
    assert [(c.feature, c.value, c.new_min, c.new_max) for c in diagnosis.relaxation] == [
        ("gender", "F", 4, 8)
    ]
    assert "lower the minimum from 6 to 4" in diagnosis.text()


def test_one_volunteer_reads_as_one(instance_factory: Factory) -> None:
    """Before: 'only 1 volunteers have gender F'."""
    base = instance_factory({("F", "Young"): 1, ("M", "Old"): 10}, QUOTAS, 10)
    diagnosis = diagnosed(with_quota(base, "gender", "F", 2, 8))
    assert diagnosis.explanation == ("gender F needs at least 2 but only 1 volunteer has gender F.",)


@pytest.mark.parametrize(
    ("men", "words"),
    [(1, "1 volunteer (or fewer households) is"), (2, "2 volunteers (or fewer households) are")],
)
def test_a_maximum_counts_the_volunteers_left_in_words(
    instance_factory: Factory, men: int, words: str
) -> None:
    """The volunteers without the value, who must fill the places a maximum leaves: 1 is, 2 are."""
    base = instance_factory({("F", "Young"): 8, ("M", "Old"): men}, QUOTAS, 3 + men)
    assert diagnosed(with_quota(base, "gender", "F", 0, 2)).explanation == (
        f"gender F allows at most 2, so at least {1 + men} members must come from the other volunteers, but "
        f"only {words} not gender F.",
    )


def test_a_minimum_above_the_places_left_says_so(instance_factory: Factory) -> None:
    """Before, both were blamed on households ('live in only 5 households, and only one person per
    household can be on the panel') in a pool where everyone lives apart."""
    base = instance_factory({("F", "Young"): 5, ("M", "Old"): 5}, QUOTAS, 2)
    assert diagnosed(with_quota(base, "gender", "F", 3, 5)).explanation == (
        "gender F needs at least 3 but the panel has only 2 places.",
    )
    confirmed = replace(base, panel_size=4, already_selected=frozenset({"p5", "p6"}))
    assert diagnosed(with_quota(confirmed, "gender", "F", 3, 5)).explanation == (
        "gender F needs at least 3 but the panel has only 4 places, 2 of them taken by already-selected "
        "members who do not have gender F.",
    )


def test_maxima_of_one_feature_leave_places_empty(instance_factory: Factory) -> None:
    base = instance_factory({("F", "Young"): 8, ("M", "Old"): 8}, QUOTAS, 10)
    instance = with_quota(with_quota(base, "gender", "F", 0, 4), "gender", "M", 0, 5)
    diagnosis = diagnosed(instance)
    assert set(diagnosis.conflict) == {
        QuotaBound("gender", "F", "max", 4),
        QuotaBound("gender", "M", "max", 5),
    }
    assert diagnosis.explanation == (
        "The quotas for gender add up to at most 9 but the panel has 10 places.",
    )
    assert diagnosis.relaxation is not None and sum(c.size for c in diagnosis.relaxation) == 1


def test_clash_across_features_lists_only_the_clashing_quotas(instance_factory: Factory) -> None:
    """Every woman in the pool is young: at least 5 women and at most 2 young people cannot both hold."""
    base = instance_factory({("F", "Young"): 6, ("M", "Old"): 10, ("M", "Young"): 3}, QUOTAS, 8)
    instance = with_quota(with_quota(base, "gender", "F", 5, 8), "age", "Young", 0, 2)
    diagnosis = diagnosed(instance)
    assert set(diagnosis.conflict) == {
        QuotaBound("gender", "F", "min", 5),
        QuotaBound("age", "Young", "max", 2),
    }
    assert "gender F: at least 5 (6 volunteers have gender F)" in diagnosis.text()
    assert "age Young: at most 2 (9 volunteers have age Young)" in diagnosis.text()


def test_households_count_in_the_explanation(instance_factory: Factory) -> None:
    base = instance_factory({("F", "Young"): 4, ("M", "Old"): 10}, QUOTAS, 6, households=2)
    diagnosis = diagnosed(with_quota(base, "gender", "F", 3, 6))
    assert diagnosis.conflict == (QuotaBound("gender", "F", "min", 3),)
    assert "live in only 2 households" in diagnosis.explanation[0]


def test_flex_limits_bound_the_relaxation(instance_factory: Factory) -> None:
    base = instance_factory({("F", "Young"): 4, ("M", "Old"): 10}, QUOTAS, 10)
    instance = with_quota(base, "gender", "F", 6, 8)
    quotas = tuple(replace(q, min_flex=5) if q.value == "F" else q for q in instance.quotas)
    diagnosis = diagnosed(replace(instance, quotas=quotas))
    assert diagnosis.relaxation is None
    assert "No change to the quotas within their min_flex/max_flex limits" in diagnosis.text()


def test_impossible_even_without_quotas(instance_factory: Factory) -> None:
    base = instance_factory({("F", "Young"): 4}, QUOTAS, 3, households=2)
    diagnosis = diagnosed(base)
    assert diagnosis.conflict == ()
    assert diagnosis.explanation == (
        "The panel has 3 places but the pool has only 2 households (one person per household); make the "
        "panel at most 2 places, or recruit more households.",
    )
    # Before: 'No change to the quotas within their min_flex/max_flex limits', as if flex limits were why.
    assert diagnosis.text().endswith("\nNo change to the quotas can make a panel possible.")


def test_members_kept_in_one_household_are_named(instance_factory: Factory) -> None:
    """The diagnosis said only 'Two or more already-selected members live in the same household', so the
    officer had to search every member's address for them."""
    base = instance_factory({("F", "Young"): 4, ("M", "Old"): 4}, QUOTAS, 4, households=2)
    instance = replace(base, already_selected=frozenset({"p0", "p1", "p2", "p3", "p5"}))
    instance = replace(instance, panel_size=5)
    diagnosis = diagnosed(instance)
    assert diagnosis.conflict == ()
    assert diagnosis.explanation == (
        "Already-selected members live in the same household (p0 and p1; p2 and p3); only one per household "
        "may be on the panel: keep one of each, or correct their addresses if they live apart.",
    )


def test_more_members_kept_than_places_says_what_to_change(instance_factory: Factory) -> None:
    base = instance_factory({("F", "Young"): 4, ("M", "Old"): 4}, QUOTAS, 2)
    diagnosis = diagnosed(replace(base, already_selected=frozenset({"p0", "p1", "p4"})))
    assert diagnosis.explanation == (
        "There are 3 already-selected members but the panel has only 2 places; make the panel at least 3 "
        "places, or keep fewer members.",
    )


def panels_of(instance: Instance) -> Iterator[tuple[Person, ...]]:
    """Every panel of the right size obeying households and already-selected members (brute force)."""
    for panel in combinations(instance.people, instance.panel_size):
        homes = [p.household for p in panel if p.household is not None]
        ids = {p.id for p in panel}
        if len(homes) == len(set(homes)) and instance.already_selected <= ids:
            yield panel


def counts(panel: tuple[Person, ...], quota: Quota) -> int:
    return sum(1 for p in panel if p.features.get(quota.feature) == quota.value)


def meets(panel: tuple[Person, ...], bounds: set[QuotaBound]) -> bool:
    for bound in bounds:
        count = counts(panel, Quota(bound.feature, bound.value, 0, 0))
        if (bound.side == "min" and count < bound.limit) or (bound.side == "max" and count > bound.limit):
            return False
    return True


def cost_to_fit(panel: tuple[Person, ...], quotas: tuple[Quota, ...]) -> int | None:
    """How much quotas must move for this panel to meet them (None: beyond the flex limits)."""
    total = 0
    for quota in quotas:
        count = counts(panel, quota)
        if quota.min_flex is not None and count < quota.min_flex:
            return None
        if quota.max_flex is not None and count > quota.max_flex:
            return None
        total += max(0, quota.min - count) + max(0, count - quota.max)
    return total


@st.composite
def small_instances(draw: st.DrawFn) -> Instance:
    n = draw(st.integers(3, 8))
    people = []
    for index in range(n):
        features = {"gender": draw(st.sampled_from("FM")), "age": draw(st.sampled_from(["Young", "Old"]))}
        household = draw(st.sampled_from([None, None, None, None, "h1", "h2"]))
        people.append(Person(f"p{index}", features, household))
    k = draw(st.integers(1, min(n, 4)))
    quotas = []
    for feature, value in [(q.feature, q.value) for q in QUOTAS]:
        low = draw(st.integers(0, (k + 1) // 2))
        high = draw(st.integers(low, k))
        low_flex = draw(st.sampled_from([None, 0, low]))
        high_flex = draw(st.sampled_from([None, high, k]))
        quotas.append(Quota(feature, value, low, high, low_flex, high_flex))
    forced = draw(st.sets(st.sampled_from([p.id for p in people]), max_size=1))
    return Instance(tuple(people), tuple(quotas), k, frozenset(forced))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(instance=small_instances())
def test_conflict_is_irreducible_and_relaxation_is_minimal(instance: Instance) -> None:
    panels = list(panels_of(instance))
    bounds = {QuotaBound(q.feature, q.value, "min", q.min) for q in instance.quotas} | {
        QuotaBound(q.feature, q.value, "max", q.max) for q in instance.quotas
    }
    feasible = any(meets(panel, bounds) for panel in panels)
    assert is_feasible(instance) == feasible
    conflict = find_conflict(instance)
    if feasible:
        assert conflict is None
        return
    assert conflict is not None
    assert not any(meets(panel, set(conflict)) for panel in panels)
    for bound in conflict:
        assert any(meets(panel, set(conflict) - {bound}) for panel in panels), f"{bound} is not needed"
    costs = [c for c in (cost_to_fit(panel, instance.quotas) for panel in panels) if c is not None]
    relaxation = minimal_relaxation(instance)
    if not costs:
        assert relaxation is None
        return
    assert relaxation is not None
    assert sum(change.size for change in relaxation) == min(costs)
    assert is_feasible(apply_relaxation(instance, relaxation))


def test_a_check_the_time_limit_cut_short_is_undecided_not_feasible(
    instance_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A solve stopped by its time limit was read as 'a panel exists', so diagnose said nothing was wrong
    without knowing, and a smallest change not found in time read as 'no change within the flex limits
    can help'."""
    feasible = instance_factory({("F", "Young"): 5, ("M", "Old"): 5}, QUOTAS, 4)
    infeasible = with_quota(
        instance_factory({("F", "Young"): 4, ("M", "Old"): 10}, QUOTAS, 10), "gender", "F", 6, 8
    )
    monkeypatch.setattr(diagnose_module, "SOLVE_TIME_LIMIT", 0.0)  # HiGHS stops before deciding
    assert is_feasible(feasible) is None
    with pytest.raises(QuotaCheckUndecided, match="could not tell within 0 seconds whether any panel"):
        diagnose(feasible)
    with pytest.raises(QuotaCheckUndecided):
        find_conflict(feasible)
    with pytest.raises(QuotaCheckUndecided):
        minimal_relaxation(infeasible)


def test_a_smallest_change_not_found_in_time_is_said_so(
    instance_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def undecided(instance: Instance) -> None:
        raise QuotaCheckUndecided(60.0)

    monkeypatch.setattr(diagnose_module, "minimal_relaxation", undecided)
    diagnosis = diagnosed(
        with_quota(instance_factory({("F", "Young"): 4, ("M", "Old"): 10}, QUOTAS, 10), "gender", "F", 6, 8)
    )
    assert diagnosis.relaxation is None and diagnosis.relaxation_undecided
    assert diagnosis.text().endswith(
        "The smallest change to the quotas that makes a panel possible was not found within 60 seconds; "
        "change the quotas named above, then check again."
    )
    assert "No change to the quotas within their min_flex/max_flex limits" not in diagnosis.text()
