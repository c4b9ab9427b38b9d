"""Replacements keep the confirmed members and give up as little of the quotas as possible."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from civicforum.selection.diagnose import is_feasible
from civicforum.selection.replacements import plan_replacements, unmet_quota_messages
from civicforum.selection.types import InfeasibleQuotasError, Instance, Quota

QUOTAS = (
    Quota("gender", "F", 2, 2),
    Quota("gender", "M", 2, 2),
    Quota("age", "Young", 0, 4),
    Quota("age", "Old", 0, 4),
)


def test_quotas_kept_when_the_confirmed_members_allow(instance_factory: Callable[..., Instance]) -> None:
    instance = replace(
        instance_factory({("F", "Young"): 5, ("M", "Old"): 5}, list(QUOTAS), 4),
        already_selected=frozenset({"p0"}),
    )
    plan = plan_replacements(instance)
    assert plan.instance == instance and plan.relaxation == () and unmet_quota_messages(plan) == []


def test_three_confirmed_women_break_the_gender_quota(instance_factory: Callable[..., Instance]) -> None:
    instance = instance_factory({("F", "Young"): 5, ("M", "Old"): 5}, list(QUOTAS), 4)
    instance = replace(instance, already_selected=frozenset({"p0", "p1", "p2"}))
    plan = plan_replacements(instance)
    assert is_feasible(plan.instance)
    assert [(c.feature, c.value, c.new_min, c.new_max) for c in plan.relaxation] == [
        ("gender", "F", 2, 3),
        ("gender", "M", 1, 2),
    ]
    assert (
        unmet_quota_messages(plan)[0]
        == "Quota can no longer be met: gender F: raise the maximum from 2 to 3."
    )


def test_no_relaxation_within_flex_is_an_error(instance_factory: Callable[..., Instance]) -> None:
    quotas = [replace(q, max_flex=2) if q.value == "F" else q for q in QUOTAS]
    instance = instance_factory({("F", "Young"): 5, ("M", "Old"): 5}, quotas, 4)
    with pytest.raises(InfeasibleQuotasError, match="within their min_flex/max_flex limits"):
        plan_replacements(replace(instance, already_selected=frozenset({"p0", "p1", "p2"})))
