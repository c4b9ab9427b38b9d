"""Fair, fast and verifiable panel selection (pure Python, no Django)."""

from .algorithms import SelectionSettings, check_panel, find_distribution, find_panel
from .diagnose import Diagnosis, QuotaCheckUndecided, diagnose, minimal_relaxation
from .io import load_instance, read_features, read_people
from .lottery import Lottery, round_to_lottery, verify_draw
from .replacements import plan_replacements
from .types import (
    Algorithm,
    InfeasibleQuotasError,
    InputError,
    InputProblem,
    Instance,
    Panel,
    Person,
    ProgressCallback,
    Quota,
    SelectionError,
    SelectionResult,
)

__all__ = [
    "Algorithm",
    "Diagnosis",
    "Lottery",
    "InfeasibleQuotasError",
    "InputError",
    "InputProblem",
    "Instance",
    "Panel",
    "Person",
    "ProgressCallback",
    "Quota",
    "QuotaCheckUndecided",
    "SelectionError",
    "SelectionResult",
    "SelectionSettings",
    "check_panel",
    "diagnose",
    "find_distribution",
    "find_panel",
    "load_instance",
    "minimal_relaxation",
    "plan_replacements",
    "read_features",
    "read_people",
    "round_to_lottery",
    "verify_draw",
]
