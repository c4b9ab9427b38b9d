"""Table allocation: seat a panel at diverse tables, with new faces every session.

Pure Python (numpy, numba and HiGHS; scipy only for facilitators and for explaining failed plans), no
Django: the CLI (``civicforum tables``) and the web app both call
``allocate`` and the scoring functions here.
"""

from .engine import allocate
from .model import (
    DIVERSITY_SLACK,
    Allocation,
    AllocationSettings,
    Cluster,
    Constraints,
    Facilitator,
    FixedSeat,
    InfeasibleConstraintsError,
    Member,
    Progress,
    Seating,
)
from .rules import constraint_violations
from .scores import (
    diversity,
    diversity_lower_bound,
    meetings,
    random_meetings,
    repeat_pairs,
    seating_lower_bound,
)

__all__ = [
    "DIVERSITY_SLACK",
    "Allocation",
    "AllocationSettings",
    "Cluster",
    "Constraints",
    "Facilitator",
    "FixedSeat",
    "InfeasibleConstraintsError",
    "Member",
    "Progress",
    "Seating",
    "allocate",
    "constraint_violations",
    "diversity",
    "diversity_lower_bound",
    "meetings",
    "random_meetings",
    "repeat_pairs",
    "seating_lower_bound",
]
