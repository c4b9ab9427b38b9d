"""Typed data shared by the table allocator, its scores, the CLI and (later) the web app.

Sessions and tables are numbered from 1 everywhere in this public API and in files, because officers
talk about "table 3 in session 2"; the engine converts to 0-based indices internally.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

# seating[s][t] lists the ids of the members at table t+1 in session s+1.
Seating = Sequence[Sequence[Sequence[str]]]


class InfeasibleConstraintsError(ValueError):
    """The constraints cannot all hold at once: ``problems`` says why, in terms of members, sessions and
    tables; ``conflict``, when known, leads in and then lists the fewest rules found that cannot all hold,
    each after where it was given (``Constraints.sources``)."""

    def __init__(self, problems: Sequence[str], conflict: Sequence[str] = ()) -> None:
        self.problems = list(problems)
        self.conflict = list(conflict)
        super().__init__("; ".join(self.problems + self.conflict))


@dataclass(frozen=True)
class Member:
    """A panel member: an id and their value of each feature (gender, age band, ward...)."""

    id: str
    features: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Facilitator:
    """A table facilitator; ``keep_apart`` holds member ids they must not facilitate (e.g. a neighbour)."""

    id: str
    keep_apart: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FixedSeat:
    """``member`` must sit at ``table`` in ``session`` (e.g. the table with step-free access)."""

    member: str
    session: int
    table: int


@dataclass(frozen=True)
class Cluster:
    """Keep ``members`` (e.g. the Welsh speakers) on at most ``tables`` tables in every session, like
    GroupSelect's cluster option, so they can be given facilitators who speak their language. The
    tables are those where cluster members have fixed seats, then the lowest-numbered ones that no
    earlier cluster holds (while there are such tables); when the session cannot be seated with the
    clusters there, other tables that can seat it. How the members spread over them is left to
    diversity and mixing."""

    members: frozenset[str]
    tables: int


@dataclass(frozen=True, order=True)
class Rule:
    """One rule as an officer gives it, a row of a constraint file: ``kind`` is "keep-together" (``index``
    of the group, ``member``), "keep-apart" (``index`` of the pair), "fixed" (``index`` of the seat),
    "absent" (``session``, ``member``), "facilitator" (``index`` of the facilitator, ``member`` kept apart
    from them) or "cluster" (``index`` of the cluster, ``member``)."""

    kind: str
    index: int = 0
    member: str = ""
    session: int = 0


@dataclass(frozen=True)
class Constraints:
    """Hard rules a seating must honour.

    ``keep_together``: groups that always share a table (a carer and the person they support).
    ``keep_apart``: pairs that never share a table. ``absent[session]``: members missing that session.
    """

    keep_together: Sequence[frozenset[str]] = ()
    keep_apart: Sequence[frozenset[str]] = ()
    fixed: Sequence[FixedSeat] = ()
    absent: Mapping[int, frozenset[str]] = field(default_factory=dict)
    facilitators: Sequence[Facilitator] = ()
    clusters: Sequence[Cluster] = ()
    # Where each rule was given ("keep-apart.csv row 3"), for messages that name the rules in conflict.
    sources: Mapping[Rule, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    """Reported to the progress callback: ``done`` runs from 0 to 1, and once more from 0 when a plan
    that missed its diversity aim is searched again (``hard_panel_effort``; the message says so)."""

    done: float
    message: str


# A forum meets for a few to a few dozen sessions; 100 sessions of 40 members took 30 s, while 10**8
# ran until killed with no word of why.
MAX_SESSIONS = 100

# Diversity may sit this far above its lower bound before costs turn steep: the 5% target less a margin
# for the last pass, which can leave a session a little over (at most 0.7% measured). 4% instead of 3%
# lowers repeats on most panels that miss a mixing target (bench/RESULTS.md).
DIVERSITY_SLACK = 0.04
# The target for diversity: within 5% of its lower bound, which the default slack keeps plans
# a little below.
DIVERSITY_TARGET = 0.05
# A plan whose diversity misses its aim is searched for again once, from the start, with this effort:
# on a panel whose features are hard to balance jointly a longer search gets closer (bench/RESULTS.md:
# unseen 8 from 7.8% above its bound to 4.4-5.1%, for eight times the time).
HARD_PANEL_EFFORT = 8.0


def diversity_aim(slack: float) -> float:
    """How far above its lower bound (a fraction) a plan's diversity may end before it counts as
    missing: the 5% target, or with a larger ``diversity_slack`` that slack plus the same margin."""
    return max(DIVERSITY_TARGET, slack + DIVERSITY_TARGET - DIVERSITY_SLACK)


@dataclass(frozen=True)
class AllocationSettings:
    """How to seat the panel.

    ``table_sizes`` (optional) gives each table's capacity; without it sizes differ by at most one.
    In a session with absent members the seats are spread as evenly as the capacities allow.
    ``past`` holds sessions already run (seating[s][t] as in ``Seating``): they are kept unchanged and
    only the remaining sessions are planned, avoiding pairs who already met.
    ``effort`` scales the search (deterministic for a seed); ``time_limit`` caps it in seconds, and when
    the cap bites the result may depend on the machine's speed. ``diversity_slack`` is how far above its
    lower bound (a fraction) diversity may go so that members meet more new people: the default keeps
    D within 5% of the bound, a margin for the last pass included; more lets people mix more where
    few tables meet for many sessions (bench/RESULTS.md). When the plan's diversity still ends further
    above its bound than ``diversity_aim`` allows, the search starts over once with
    ``hard_panel_effort`` (when that is more than ``effort``; None: never) and the more diverse plan is
    kept, so a hard panel takes up to that many times longer.
    """

    tables: int
    sessions: int
    diversify: Sequence[str]
    table_sizes: Sequence[int] | None = None
    seed: int = 0
    time_limit: float | None = None
    effort: float = 1.0
    diversity_slack: float = DIVERSITY_SLACK
    hard_panel_effort: float | None = HARD_PANEL_EFFORT
    past: Seating = ()
    progress: Callable[[Progress], None] | None = None


@dataclass(frozen=True)
class Allocation:
    """The plan: ``seating[s][t]`` member ids, ``facilitators[s][t]`` facilitator id (or None).
    ``stopped_by_time_limit``: the settings' time limit ended the search before its planned work, so a
    longer limit may give better tables (and the plan depends on the machine's speed). ``effort``: that
    of the search that found the plan (the settings' ``hard_panel_effort`` when a second search was
    more diverse), so that the same seed and effort give the same plan again."""

    seating: Seating
    facilitators: Sequence[Sequence[str | None]]
    stopped_by_time_limit: bool = False
    effort: float = 1.0

    def table_of(self, member: str, session: int) -> int | None:
        """1-based table of ``member`` in 1-based ``session``; None when absent."""
        for index, table in enumerate(self.seating[session - 1], start=1):
            if member in table:
                return index
        return None
