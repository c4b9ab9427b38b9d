"""Typed data shared by every part of the selection engine.

This module is the contract between input readers (``io``), the algorithms (``algorithms``), the
transparent lottery (``lottery``), the infeasibility diagnosis (``diagnose``) and the CLI. It has no
dependencies beyond the standard library so anything may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from civicforum.spreadsheet import printable


class Algorithm(StrEnum):
    LEXIMIN = "leximin"
    MAXIMIN = "maximin"
    NASH = "nash"
    GOLDILOCKS = "goldilocks"
    LEGACY = "legacy"


@dataclass(frozen=True)
class Quota:
    """How many panel members must hold ``value`` of ``feature``: between ``min`` and ``max``.

    ``min_flex``/``max_flex`` are the Sortition Foundation's optional bounds on how far a quota may be
    relaxed when the officer asks for a suggestion (None: no limit given).
    """

    feature: str
    value: str
    min: int
    max: int
    min_flex: int | None = None
    max_flex: int | None = None


@dataclass(frozen=True)
class Person:
    """One volunteer in the pool.

    ``features`` maps feature name to this person's value (already matched to the canonical spelling
    of the features file). ``household`` is the normalised address key (None: no address given, so
    the person shares a household with nobody). ``row`` keeps the original CSV row for output files.
    """

    id: str
    features: Mapping[str, str]
    household: str | None = None
    row: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Instance:
    """A selection problem: choose ``panel_size`` people from ``people`` meeting every quota.

    ``already_selected`` holds ids that must be on every panel (members already confirmed, when
    drawing replacements); they count towards the quotas and the household rule.
    """

    people: tuple[Person, ...]
    quotas: tuple[Quota, ...]
    panel_size: int
    already_selected: frozenset[str] = frozenset()

    @property
    def features(self) -> dict[str, list[str]]:
        """Feature name -> its values, in the order of the features file."""
        out: dict[str, list[str]] = {}
        for q in self.quotas:
            out.setdefault(q.feature, []).append(q.value)
        return out

    def households(self) -> dict[str, list[str]]:
        """Household key -> ids of the people living there (only households of two or more)."""
        groups: dict[str, list[str]] = {}
        for p in self.people:
            if p.household is not None:
                groups.setdefault(p.household, []).append(p.id)
        return {h: ids for h, ids in groups.items() if len(ids) > 1}


Panel = tuple[str, ...]
"""A panel: the sorted ids of its members."""


@dataclass(frozen=True)
class SelectionResult:
    """A distribution over panels and what it means for each volunteer.

    ``panels[i]`` is drawn with probability ``panel_probabilities[i]`` (they sum to 1).
    ``selection_probabilities[id]`` is the chance that person ``id`` is on the drawn panel; over the
    pool these sum to the panel size. ``certificate`` carries optimality evidence where the algorithm
    has one (for LEXIMIN/MAXIMIN: the dual prices and the upper bound they prove on the minimum).
    """

    algorithm: Algorithm
    solver: str
    panels: tuple[Panel, ...]
    panel_probabilities: tuple[float, ...]
    selection_probabilities: Mapping[str, float]
    timings: Mapping[str, float] = field(default_factory=dict)
    certificate: Mapping[str, object] = field(default_factory=dict)


ProgressCallback = Callable[[float, str], None]
"""Called with (fraction done in [0, 1], a short message for a person)."""


class SelectionError(Exception):
    """Base class: anything the engine refuses, with a message fit to show an officer."""


@dataclass
class InputProblem:
    """One problem in an input file, located precisely (row is 1-based as a spreadsheet shows it)."""

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return printable(f"{where}: {self.message}")


class InputError(SelectionError):
    """Bad input files; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[InputProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class InfeasibleQuotasError(SelectionError):
    """No panel meets every quota (with the household rule and already-selected members).

    ``explanation`` is the plain-English diagnosis (filled in by ``diagnose`` when available).
    """

    def __init__(self, message: str = "No panel can meet all the quotas.", explanation: object = None):
        self.explanation = explanation
        super().__init__(message)
