"""Replacements: fill drop-outs around the members already confirmed.

Confirmed members cannot be un-invited, so when their make-up rules out every quota-meeting panel
the quotas (not the members) must give. We relax them by the smallest total amount and say exactly
which quota can no longer be met, instead of refusing to draw at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicforum.selection.diagnose import Diagnosis, QuotaChange, apply_relaxation, diagnose
from civicforum.selection.types import InfeasibleQuotasError, Instance


@dataclass(frozen=True)
class ReplacementPlan:
    """The instance to draw from (quotas relaxed if needed) and the quotas that had to change."""

    instance: Instance
    relaxation: tuple[QuotaChange, ...]
    diagnosis: Diagnosis | None


def plan_replacements(instance: Instance) -> ReplacementPlan:
    """Keep the quotas if possible; otherwise relax them minimally. Raises InfeasibleQuotasError when
    even relaxing every quota within its flex limits cannot fit the confirmed members."""
    diagnosis = diagnose(instance)
    if diagnosis is None:
        return ReplacementPlan(instance, (), None)
    if diagnosis.relaxation is None:
        raise InfeasibleQuotasError(diagnosis.text(), explanation=diagnosis)
    return ReplacementPlan(apply_relaxation(instance, diagnosis.relaxation), diagnosis.relaxation, diagnosis)


def unmet_quota_messages(plan: ReplacementPlan) -> list[str]:
    """One plain sentence per quota the replacements can no longer keep."""
    return [f"Quota can no longer be met: {change}." for change in plan.relaxation]
