"""Checking the rules: bad input, conflicts visible before any search, and a finished plan's breaches.

Messages name the members, sessions and tables involved in plain English, because an officer has to
fix the constraint files by hand.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from civicforum.wording import counted, plural

from .model import (
    DIVERSITY_SLACK,
    MAX_SESSIONS,
    Allocation,
    AllocationSettings,
    Constraints,
    InfeasibleConstraintsError,
    Member,
)


def fmt_group(members: Iterable[str]) -> str:
    return "{" + ",".join(sorted(members)) + "}"


def merged_groups(groups: Sequence[frozenset[str]]) -> list[frozenset[str]]:
    """Keep-together groups sharing a member must share a table, so they are one group."""
    merged: list[set[str]] = []
    for group in groups:
        overlapping = [existing for existing in merged if existing & group]
        combined = set(group).union(*overlapping)
        merged = [existing for existing in merged if not existing & group] + [combined]
    return [frozenset(group) for group in merged]


def session_capacities(settings: AllocationSettings, members: int) -> list[int]:
    """Each table's capacity: as given, or the panel spread so sizes differ by at most one."""
    if settings.table_sizes is not None:
        return list(settings.table_sizes)
    base, extra = divmod(members, settings.tables)
    return [base + (table < extra) for table in range(settings.tables)]


def session_sizes(capacities: Sequence[int], present: int, minimum: np.ndarray, shift: int) -> np.ndarray:
    """Seats per table: as even as possible, at least ``minimum`` (fixed members), within capacity.
    Among equally full tables the next seat goes to the first in an order rotated by ``shift``."""
    sizes = minimum.astype(int).copy()
    order = np.roll(np.arange(len(sizes)), -shift)
    for _ in range(present - int(sizes.sum())):
        open_tables = order[sizes[order] < np.asarray(capacities)[order]]
        sizes[open_tables[np.argmin(sizes[open_tables])]] += 1
    return sizes


@dataclass(frozen=True)
class SessionLayout:
    """One session as the rules shape it, read the same way by the search and the exact check (0-based
    members and tables): the members present, in panel order; the units they sit in (keep-together groups,
    merged when they share a member, then members alone); the table of each unit with a fixed seat; and
    the seats those units take at each table (``minimum``). ``fixed_clash``: a fixed seat names an absent
    member, or puts a unit at two tables (``validate`` refuses both before any search; the exact check
    meets them in the rules it is given)."""

    present: list[int]
    units: list[list[int]]
    fixed_table: dict[int, int]
    minimum: np.ndarray
    fixed_clash: bool

    def sizes(self, capacities: Sequence[int], shift: int) -> np.ndarray:
        """Seats per table in the spread rotated by ``shift`` (``session_sizes``)."""
        return session_sizes(capacities, len(self.present), self.minimum, shift)

    def spreads(self, capacities: Sequence[int]) -> list[np.ndarray]:
        """Every way of spreading the seats the search may try, by ``shift``: which tables get the spare
        seats."""
        return [self.sizes(capacities, shift) for shift in range(len(self.minimum))]


def session_layout(
    index: Mapping[str, int], tables: int, constraints: Constraints, session: int
) -> SessionLayout:
    """Session ``session`` (1-based) of a panel whose members are numbered by ``index``, at ``tables``
    tables."""
    absent = {index[m] for m in constraints.absent.get(session, frozenset())}
    present = [i for i in range(len(index)) if i not in absent]
    units: list[list[int]] = []
    for group in merged_groups(constraints.keep_together):
        unit = sorted(index[m] for m in group if index[m] not in absent)
        if unit:
            units.append(unit)
    grouped = {m for unit in units for m in unit}
    units.extend([m] for m in present if m not in grouped)
    unit_of = {m: u for u, unit in enumerate(units) for m in unit}
    fixed_table: dict[int, int] = {}
    fixed_clash = False
    for seat in constraints.fixed:
        if seat.session != session:
            continue
        member = index[seat.member]
        if member in absent or fixed_table.setdefault(unit_of[member], seat.table - 1) != seat.table - 1:
            fixed_clash = True
    minimum = np.zeros(tables, dtype=int)
    for u, table in fixed_table.items():
        minimum[table] += len(units[u])
    return SessionLayout(present, units, fixed_table, minimum, fixed_clash)


def cluster_tables(fixed: Sequence[int], wanted: int, held: np.ndarray) -> list[int]:
    """The tables (0-based) a cluster of ``wanted`` tables is held at: ``fixed``, those where its members
    are fixed (or sit in a seating found for the session), then the tables fewest earlier clusters hold
    (``held``, which counts this one in too), lowest-numbered first."""
    free = sorted((t for t in range(len(held)) if t not in fixed), key=lambda t: (held[t], t))
    tables = [*fixed, *free[: wanted - len(fixed)]]
    held[tables] += 1
    return tables


def _numbered(value: object, highest: int) -> bool:
    """Whether ``value`` is a session or table number from 1 to ``highest`` (a string from a form or
    file compared with a number would raise TypeError instead of a message)."""
    return isinstance(value, Integral) and 1 <= int(value) <= highest


def _check_numbers(settings: AllocationSettings) -> None:
    """Raise ValueError for counts and search settings of the wrong type (the web app builds them from
    forms): '3' tables, 2.0 sessions or a time limit of '10' raised TypeError from a comparison."""
    problems = [
        f"the number of {name} must be a whole number, not {value!r}"
        for name, value in (("tables", settings.tables), ("sessions", settings.sessions))
        if not isinstance(value, Integral)
    ]
    problems += [
        f"the {name} must be a number, not {value!r}"
        for name, value in (
            ("effort", settings.effort),
            ("effort for hard panels", settings.hard_panel_effort),
            ("diversity slack", settings.diversity_slack),
            ("time limit", settings.time_limit),
        )
        if value is not None and (isinstance(value, bool) or not isinstance(value, Real))
    ]
    if problems:
        raise ValueError("; ".join(problems))


def _check_input(members: Sequence[Member], settings: AllocationSettings, constraints: Constraints) -> None:
    """Raise ValueError for input that is malformed rather than merely impossible."""
    _check_numbers(settings)
    problems: list[str] = []
    if not members:  # the explanation of the empty tables divided by the panel's size
        problems.append("the panel has no members; give at least one member to seat")
    if not settings.diversify:  # the search's compiled scoring crashed the process with no features
        problems.append("name at least one feature to diversify (a panel column such as gender)")
    ids = [member.id for member in members]
    known = set(ids)
    problems += [f"member {m} is listed {n} times" for m, n in Counter(ids).items() if n > 1]
    problems += [  # a feature named twice would count twice in D
        f"feature {f} is named {n} times among the features to diversify"
        for f, n in Counter(settings.diversify).items()
        if n > 1
    ]
    for member in members:
        missing = [f for f in settings.diversify if f not in member.features]
        if missing:
            problems.append(f"member {member.id} has no value for {', '.join(missing)}")
        problems += [  # values are sorted, and text cannot be sorted with numbers or None
            f"member {member.id}'s value for {f} is {member.features[f]!r}, not text"
            for f in settings.diversify
            if f in member.features and not isinstance(member.features[f], str)
        ]
    if settings.tables < 1 or settings.sessions < 1:
        problems.append("there must be at least one table and one session")
    if settings.sessions > MAX_SESSIONS:
        problems.append(f"a plan has at most {MAX_SESSIONS} sessions, not {settings.sessions:,}")
    if not 0 < settings.effort < math.inf:  # also refuses nan
        problems.append(f"effort must be a number above 0 (1 is the usual search), not {settings.effort}")
    if settings.hard_panel_effort is not None and not 0 < settings.hard_panel_effort < math.inf:
        problems.append(
            f"the effort for hard panels must be a number above 0 or None (never search again), "
            f"not {settings.hard_panel_effort}"
        )
    if not 0 <= settings.diversity_slack < math.inf:
        problems.append(
            f"the diversity slack must be a number 0 or more ({DIVERSITY_SLACK} is the usual), "
            f"not {settings.diversity_slack}"
        )
    if not isinstance(settings.seed, Integral) or settings.seed < 0:  # numpy's own messages name no setting
        problems.append(f"the seed must be a whole number, 0 or more, not {settings.seed}")
    if settings.time_limit is not None and not 0 < settings.time_limit < math.inf:
        problems.append(f"the time limit must be a number of seconds above 0, not {settings.time_limit}")
    if settings.table_sizes is not None and (
        len(settings.table_sizes) != settings.tables
        or not all(isinstance(size, Integral) and size >= 1 for size in settings.table_sizes)
    ):
        problems.append(f"table sizes must be {settings.tables} positive whole numbers, one per table")

    def unknown(where: str, names: Iterable[str]) -> None:
        problems.extend(f"{where} names unknown member {name}" for name in sorted(set(names) - known))

    for number, group in enumerate(constraints.keep_together, start=1):
        unknown(f"keep-together group {number}", group)
    for number, pair in enumerate(constraints.keep_apart, start=1):
        unknown(f"keep-apart pair {number}", pair)
        if len(pair) != 2:
            problems.append(f"keep-apart pair {number} must name two different members")
    for seat in constraints.fixed:
        unknown("a fixed seat", [seat.member])
        if not (_numbered(seat.session, settings.sessions) and _numbered(seat.table, settings.tables)):
            problems.append(
                f"fixed seat of {seat.member} at table {seat.table!r} in session {seat.session!r} is outside "
                f"tables 1-{settings.tables} and sessions 1-{settings.sessions}"
            )
    for session, absent in constraints.absent.items():
        unknown(f"absences for session {session}", absent)
        if not _numbered(session, settings.sessions):
            problems.append(f"absences given for session {session!r}, outside sessions 1-{settings.sessions}")
    problems += [  # one person cannot lead two tables at once
        f"facilitator {f} is listed {n} times; list each facilitator once, with all their keep-apart members"
        for f, n in Counter(f.id for f in constraints.facilitators).items()
        if n > 1
    ]
    problems += [  # the plan would seat them at one table and have them lead another
        f"facilitator {f.id} is also a panel member; a facilitator leads a table without a seat of their own"
        for f in constraints.facilitators
        if f.id in known
    ]
    for facilitator in constraints.facilitators:
        unknown(f"facilitator {facilitator.id}'s keep-apart list", facilitator.keep_apart)
    for cluster in constraints.clusters:
        unknown(f"cluster {fmt_group(cluster.members)}", cluster.members)
        if not _numbered(cluster.tables, settings.tables):
            problems.append(
                f"cluster {fmt_group(cluster.members)} must use "
                + plural(settings.tables, "1 table", f"between 1 and {settings.tables} tables")
            )
    if len(settings.past) >= settings.sessions:
        problems.append(
            f"{counted(len(settings.past), 'past session', 'past sessions')} given for a plan of "
            f"{settings.sessions}, which leaves "
            "none to plan; the sessions include the past ones, so raise their number"
        )
    for number, past_session in enumerate(settings.past, start=1):
        if len(past_session) != settings.tables:
            problems.append(
                f"past session {number} has {counted(len(past_session), 'table', 'tables')}, "
                f"not {settings.tables}"
            )
        seated = [member for table in past_session for member in table]
        unknown(f"past session {number}", seated)
        problems += [f"past session {number} seats {m} twice" for m, n in Counter(seated).items() if n > 1]
    if problems:
        raise ValueError("; ".join(problems))


def _fixed_conflicts(
    settings: AllocationSettings, constraints: Constraints, capacities: list[int]
) -> list[str]:
    problems: list[str] = []
    groups = merged_groups(constraints.keep_together)
    apart = sorted({frozenset(pair) for pair in constraints.keep_apart}, key=sorted)  # same order every run
    for session in range(len(settings.past) + 1, settings.sessions + 1):
        absent = constraints.absent.get(session, frozenset())
        seats: dict[str, int] = {}
        for seat in constraints.fixed:
            if seat.session != session:
                continue
            if seat.member in absent:
                problems.append(
                    f"{seat.member} is fixed at table {seat.table} in session {session} but is absent"
                )
            elif seats.setdefault(seat.member, seat.table) != seat.table:
                problems.append(f"{seat.member} is fixed at two tables in session {session}")
        for group in groups:  # a fixed member brings their whole group
            tables = {seats[m] for m in group if m in seats}
            if len(tables) > 1:
                problems.append(
                    f"keep-together group {fmt_group(group)} is fixed at tables "
                    f"{', '.join(map(str, sorted(tables)))} in session {session}"
                )
            elif tables:
                seats.update({m: next(iter(tables)) for m in group if m not in absent})
        for table, count in Counter(seats.values()).items():
            if count > capacities[table - 1]:
                problems.append(
                    f"{counted(count, 'member is', 'members are')} fixed at table {table} in session "
                    f"{session} but it seats {capacities[table - 1]}"
                )
        for pair in apart:
            a, b = sorted(pair)
            if a in seats and seats.get(b) == seats[a]:
                problems.append(
                    f"{a} must sit at table {seats[a]} in session {session} and is kept apart from {b}, "
                    f"who is fixed there too"
                )
    return problems


def _past_conflicts(settings: AllocationSettings, constraints: Constraints) -> list[str]:
    """Fixed seats and absences for sessions already run must agree with how they ran: the past is kept
    as it was, so a disagreeing rule would be silently broken."""
    problems: list[str] = []
    for number, tables in enumerate(settings.past, start=1):
        table_of = {member: t for t, table in enumerate(tables, start=1) for member in table}
        fix = "remove the rule for that session or correct the past seating"
        problems += [
            f"{seat.member} is fixed at table {seat.table} in session {number}, which has already run with "
            f"them {f'at table {table_of[seat.member]}' if seat.member in table_of else 'absent'}; {fix}"
            for seat in constraints.fixed
            if seat.session == number and table_of.get(seat.member) != seat.table
        ]
        problems += [
            f"{member} is absent from session {number}, which has already run with them at table "
            f"{table_of[member]}; {fix}"
            for member in sorted(constraints.absent.get(number, frozenset()) & table_of.keys())
        ]
    return problems


def _unfacilitated(ids: Sequence[str], settings: AllocationSettings, constraints: Constraints) -> list[str]:
    """Members, or groups kept together, whom every facilitator is kept apart from: no table can take
    them, since every table has a facilitator."""
    facilitators = constraints.facilitators
    if not facilitators:
        return []
    shunned = set().union(*(f.keep_apart for f in facilitators))
    groups = merged_groups(constraints.keep_together)
    units = groups + [frozenset({m}) for m in ids if m in shunned and not any(m in g for g in groups)]
    sessions: dict[frozenset[str], list[str]] = {}
    for session in range(len(settings.past) + 1, settings.sessions + 1):
        for unit in units:
            present = unit - constraints.absent.get(session, frozenset())
            if present and all(f.keep_apart & present for f in facilitators):
                sessions.setdefault(present, []).append(str(session))
    problems: list[str] = []
    for unit, numbers in sessions.items():
        when = f"in {plural(len(numbers), 'session', 'sessions')} {', '.join(numbers)}"
        if len(unit) == 1:
            problems.append(
                f"{next(iter(unit))} is kept apart from every facilitator "
                f"({', '.join(f.id for f in facilitators)}), so no table can take them {when}"
            )
        else:
            problems.append(
                f"keep-together group {fmt_group(unit)} has no facilitator who may sit with it {when}: "
                + ", ".join(f"{f.id} is kept apart from {min(f.keep_apart & unit)}" for f in facilitators)
            )
    return problems


def _too_few_seats(capacities: Sequence[int], panel: int) -> str:
    """Why tables of ``capacities`` cannot seat a panel of ``panel``, and the two ways out: the same
    tables with the missing seats shared among them, or as many more tables (no larger than the
    largest) as it takes, sized evenly."""
    short = panel - sum(capacities)
    raised = list(capacities)
    for _ in range(short):
        raised[raised.index(min(raised))] += 1
    largest = max(capacities)
    needed = -(-panel // largest)
    tables = plural(len(capacities), "the table seats", f"the {len(capacities)} tables seat")
    more = f"use {needed} tables (--tables {needed}) with" if needed > len(capacities) else "give"
    return (
        f"{tables} {sum(capacities)} but the panel has {panel}, {short} too few: raise the table sizes to "
        f"{','.join(map(str, raised))} (--table-sizes {','.join(map(str, raised))}), or {more} no table "
        f"sizes, so that the panel is shared evenly and no table seats more than {largest}"
    )


def _group_too_large(group: frozenset[str], capacities: Sequence[int], panel: int, sized: bool) -> str:
    """Why keep-together ``group`` fits at no table of ``capacities``, and the two ways out: smaller groups,
    or fewer tables, which seat more each (each session's seats are spread as evenly as the tables allow,
    so a larger table size alone leaves the tables as they were). ``sized``: the table sizes were given."""
    largest = max(capacities)
    tables = -(-panel // (len(group) - 1)) - 1  # the most tables at which the largest seats len(group)
    option = f"--tables {tables}" + (" and no --table-sizes" if sized else "")
    return (
        f"keep-together group {fmt_group(group)} has {len(group)} members but tables seat at most {largest}: "
        f"split it into groups of at most {largest} (groups that share a member count as one), or use fewer, "
        f"larger tables: at {tables} {plural(tables, 'table', 'tables')} ({option}) a table seats up to "
        f"{-(-panel // tables)}"
    )


def validate(members: Sequence[Member], settings: AllocationSettings, constraints: Constraints) -> None:
    """ValueError for malformed input; InfeasibleConstraintsError for rules that visibly conflict."""
    _check_input(members, settings, constraints)
    capacities = session_capacities(settings, len(members))
    problems: list[str] = []
    if sum(capacities) < len(members):
        problems.append(_too_few_seats(capacities, len(members)))
    for session in range(len(settings.past) + 1, settings.sessions + 1):
        present = len(members) - len(constraints.absent.get(session, frozenset()))
        if present < settings.tables:
            fewer = f"use at most {present} (--tables {present}) or " if present else ""
            problems.append(
                f"session {session} has {present} {plural(present, 'member', 'members')} present for "
                f"{settings.tables} tables, so a table would be empty: {fewer}mark fewer members absent "
                f"from session {session}"
            )
    planned = range(len(settings.past) + 1, settings.sessions + 1)
    # Pairs kept apart who both attend a session still to plan: only those can be seated together.
    apart = sorted(
        {
            frozenset(pair)
            for pair in constraints.keep_apart
            if any(not pair & constraints.absent.get(session, frozenset()) for session in planned)
        },
        key=sorted,
    )  # in the same order on every run, as the messages listing them are
    for group in merged_groups(constraints.keep_together):
        if len(group) > max(capacities):
            problems.append(
                _group_too_large(group, capacities, len(members), settings.table_sizes is not None)
            )
        problems += [
            f"{fmt_group(pair)} are kept apart but both in keep-together group {fmt_group(group)}"
            for pair in apart
            if pair <= group
        ]
    if settings.tables == 1:
        problems += [f"{fmt_group(pair)} are kept apart but there is only 1 table" for pair in apart]
    problems += [
        f"{fmt_group(pair)} are kept apart but both in cluster {fmt_group(cluster.members)}, "
        "which uses 1 table"
        for cluster in constraints.clusters
        if cluster.tables == 1
        for pair in apart
        if pair <= cluster.members
    ]
    if constraints.facilitators and len(constraints.facilitators) < settings.tables:
        problems.append(
            f"{settings.tables} tables need {settings.tables} facilitators but only "
            f"{counted(len(constraints.facilitators), 'is', 'are')} listed"
        )
    problems += _unfacilitated([m.id for m in members], settings, constraints)
    problems += _fixed_conflicts(settings, constraints, capacities)
    problems += _past_conflicts(settings, constraints)
    if problems:
        raise InfeasibleConstraintsError(problems)


def constraint_violations(
    members: Sequence[Member], settings: AllocationSettings, constraints: Constraints, allocation: Allocation
) -> list[str]:
    """Every rule ``allocation`` breaks, in plain English (empty when it honours them all)."""
    problems: list[str] = []
    if len(allocation.seating) != settings.sessions:
        return [
            f"the plan has {counted(len(allocation.seating), 'session', 'sessions')}, not {settings.sessions}"
        ]
    capacities = session_capacities(settings, len(members))
    ids = {member.id for member in members}
    for number, past in enumerate(settings.past, start=1):
        if [sorted(t) for t in past] != [sorted(t) for t in allocation.seating[number - 1]]:
            problems.append(f"past session {number} was changed")
    for session in range(len(settings.past) + 1, settings.sessions + 1):
        tables = allocation.seating[session - 1]
        table_of = {member: t for t, table in enumerate(tables, start=1) for member in table}
        expected = ids - constraints.absent.get(session, frozenset())
        seated = [member for table in tables for member in table]
        if Counter(seated) != Counter(expected):
            problems.append(f"session {session} does not seat every present member exactly once")
        problems += [
            f"table {t} in session {session} seats {len(table)} but holds {capacities[t - 1]}"
            for t, table in enumerate(tables, start=1)
            if len(table) > capacities[t - 1]
        ]
        for group in merged_groups(constraints.keep_together):
            if len({table_of[m] for m in group if m in table_of}) > 1:
                problems.append(f"keep-together group {fmt_group(group)} is split in session {session}")
        for pair in sorted({frozenset(pair) for pair in constraints.keep_apart}, key=sorted):  # once each
            a, b = sorted(pair)
            if a in table_of and table_of[a] == table_of.get(b):
                problems.append(
                    f"{a} and {b} are kept apart but share table {table_of[a]} in session {session}"
                )
        for seat in constraints.fixed:
            if seat.session == session and table_of.get(seat.member) != seat.table:
                problems.append(f"{seat.member} is not at table {seat.table} in session {session}")
        for t, facilitator_id in enumerate(allocation.facilitators[session - 1], start=1):
            for facilitator in constraints.facilitators:
                if facilitator.id == facilitator_id:
                    problems += [
                        f"facilitator {facilitator.id} is kept apart from {m} but both are at table {t} "
                        f"in session {session}"
                        for m in sorted(facilitator.keep_apart)
                        if table_of.get(m) == t
                    ]
        for cluster in constraints.clusters:
            used = {table_of[m] for m in cluster.members if m in table_of}
            if len(used) > cluster.tables:
                problems.append(
                    f"cluster {fmt_group(cluster.members)} uses {len(used)} tables in session {session}, "
                    f"more than {cluster.tables}"
                )
    return problems
