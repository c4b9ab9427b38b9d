"""Opinion mapping (Pol.is-style): pure Python, no Django, usable from the web app and the CLI."""

from civicforum.opinions.engine import (
    UNCLUSTERED,
    GroupSummary,
    MapSettings,
    MapState,
    OpinionMap,
    RepresentativeStatement,
    compute_map,
)
from civicforum.opinions.stats import VoteCounts
from civicforum.opinions.votes import (
    InputFileError,
    Problem,
    Statement,
    VoteMatrix,
    read_comments,
    read_votes,
)

__all__ = [
    "UNCLUSTERED",
    "GroupSummary",
    "InputFileError",
    "MapSettings",
    "MapState",
    "OpinionMap",
    "Problem",
    "RepresentativeStatement",
    "Statement",
    "VoteCounts",
    "VoteMatrix",
    "compute_map",
    "read_comments",
    "read_votes",
]
