"""Fair, fast and verifiable panel selection (pure Python, no Django)."""

from .algorithms import SelectionSettings, check_panel, find_distribution, find_panel
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
    "InfeasibleQuotasError",
    "InputError",
    "InputProblem",
    "Instance",
    "Panel",
    "Person",
    "ProgressCallback",
    "Quota",
    "SelectionError",
    "SelectionResult",
    "SelectionSettings",
    "check_panel",
    "find_distribution",
    "find_panel",
]
