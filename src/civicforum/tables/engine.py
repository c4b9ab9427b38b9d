"""Seat a panel at tables for every session: check the rules, build each session, then improve.

Sessions are planned one after another (each avoiding pairs who met in earlier ones), then every
planned session is re-optimised against all the others, since late sessions otherwise carry all the
repeats. Diversity comes first (the score officers look at first): the plan has a diversity budget a
few percent above its lower bound, beyond which diversity costs more, and a last pass makes the budget
close to hard when mixing pushed a session over it. Each session first gets its own share; once all
are seated, a session may use what the others leave unused. Within the budget the search trades
diversity against mixing, scored exactly: seating a pair costs what it adds to the plan's repeat
pairs and lost meetings given all the other sessions (``_Planner.pair_penalty``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace

import numpy as np

from civicforum.wording import counted, plural

from .conflicts import conflict_error, exact_seating, session_seatable
from .model import (
    Allocation,
    AllocationSettings,
    Cluster,
    Constraints,
    InfeasibleConstraintsError,
    Member,
    Progress,
    diversity_aim,
)
from .rules import (
    cluster_tables,
    constraint_violations,
    fmt_group,
    session_capacities,
    session_layout,
    session_sizes,
    validate,
)
from .scores import diversity, diversity_lower_bound, seating_lower_bound
from .search import PROHIBITIVE, SessionProblem, SessionSearch, co_seated
from .tabu import REPEAT_WEIGHT, TabuProblem, improve_plan

# Costs of seating a pair together, in units of one value count, given how often they meet in the
# other sessions (see ``_Planner.pair_penalty``): a pair that met once becomes a repeat pair; a pair that
# met at all loses a distinct meeting (M). Pairs that met twice cost no new repeat, so unavoidable
# repeats gather on few pairs, which is what lowers the repeat count.
REPEAT_PENALTY = 0.8
LOST_MEETING_PENALTY = 0.6
# Both repeat costs (this and the tabu search's) are scaled by 1/rho where rho > 1: see repeat_scale.
REPEAT_SCALE_STEP = 1 / 16  # the scale is a multiple of this, so the tabu search's sums stay exact
DIVERSITY_WEIGHT = 0.5  # times the mean table size: one member's value off target costs about 0.5
# Diversity may sit ``settings.diversity_slack`` above its lower bound before costs turn steep. The target
# is on the plan's mean, so once every session is seated the budget is pooled: a session may use what the
# others leave unused, up to SESSION_SLACK_MAX above its own bound (or the slack, if larger) so that no one
# session's tables are visibly worse than the rest (bench/RESULTS.md: 20% and 50% give the same plans,
# 10% nearly).
SESSION_SLACK_MAX = 0.2
OVER_CAP = 9.0  # how much dearer diversity is above that budget, so sessions stay near it
# When a session's diversity ends above budget, a last pass makes the overshoot this much dearer.
POLISH_OVER_CAP = 150.0
REFINE_ROUNDS = 2
# After the last annealing round every session is descended once more (swaps and two-for-two
# exchanges, no annealing) against the others' final seatings, which also lets it use budget they left.
DESCENT_ROUND = REFINE_ROUNDS + 1
SIZE_TRIES = 3  # ways of spreading seats tried when a session's rules stay broken
FACILITATOR_TRIES = 8  # placements of facilitators tried when none can be matched to a seating
# The search effort of a plan is a work budget: its annealing, over all sessions and rounds, spends about
# PLAN_WORK units (``search.WORK_PER_*``: batches of members scored, value cells scored, exchanges made;
# a unit was about a microsecond of CPU on the benchmark machines before the scoring was compiled), so
# every plan costs about the same, plus 5-25% for the last descent and TABU_WORK for the tabu search:
# 0.3-2.6 CPU s on the benchmark panels, 200 members at 20 tables for 8 sessions 1.6-2.0 s, for the 5 s
# target (bench/RESULTS.md, which also estimates the slowest machine so far at 2.9-4.2 s); a hard panel
# searched again (``hard_panel_effort``) takes about nine times as long. Work is counted, never timed,
# and neither search calls BLAS (whose kernels sum in an order that depends on the CPU, and whose
# threads cost CPU), so a seed gives the same plan on any machine; ``time_limit`` still caps it. The
# sp_40 figures below are from the benchmark's seeds 0-2.
PLAN_WORK = 2.0e6
# Never fewer steps per member and session than the fixed count of earlier rounds: up to
# MAX_STEPS_PER_MEMBER, fewer for big panels so that a session costs about SESSION_WORK
# member-evaluations.
MAX_STEPS_PER_MEMBER = 100.0
SESSION_WORK = 750_000.0
# Never more steps per member than this: small panels gain little from more (sp_40 with 970 per
# member: M 0.702 / 132 repeats, 400: 0.704 / 133, 100: 0.684 / 136), and tiny ones would get thousands.
MAX_BUDGET_STEPS_PER_MEMBER = 400.0
START_TEMPERATURE = 2.5
END_TEMPERATURE = 0.03
# After the descent, a tabu search over the whole plan (``tabu.py``) spends this many work units (times
# ``effort``) removing repeat pairs the session-by-session search leaves, within the plan's diversity
# budget (``diversity_slack``, computed exactly) and no session more than ``session_slack`` above its own
# bound. A limit of 4.9% instead removes a few more on some panels, for a visibly worse D (bench).
TABU_WORK = 5.0e5


def _assignment(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cheapest one-to-one pairing of rows (facilitators) with columns (tables): scipy's
    ``linear_sum_assignment``, imported only when facilitators need it, since scipy.optimize takes
    0.2-0.4 s to load."""
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment(cost)


def _one_hot(members: Sequence[Member], features: Sequence[str]) -> np.ndarray:
    columns: list[np.ndarray] = []
    for feature in features:
        values = sorted({member.features[feature] for member in members})
        position = {value: index for index, value in enumerate(values)}
        block = np.zeros((len(members), len(values)))
        block[np.arange(len(members)), [position[member.features[feature]] for member in members]] = 1
        columns.append(block)
    return np.hstack(columns) if columns else np.zeros((len(members), 0))


def repeat_scale(sizes: Sequence[int], sessions: int) -> float:
    """How much of the repeat costs to keep: 1 while the plan seats fewer pairs together than there
    are pairs (rho = sessions x co-seated pairs per session / all pairs <= 1), else about 1/rho.

    Past rho = 1 most pairs must meet twice whatever the plan, and gathering those repeats on few
    pairs takes distinct meetings from others: at rho above 2 (4 tables for 10 sessions) the full
    costs mixed people less than random seating does (bench/RESULTS.md)."""
    members = sum(sizes)
    pairs = members * (members - 1) / 2
    rho = sessions * sum(n * (n - 1) / 2 for n in sizes) / pairs if pairs else 0.0
    if rho <= 1:
        return 1.0
    return max(REPEAT_SCALE_STEP, round(1 / rho / REPEAT_SCALE_STEP) * REPEAT_SCALE_STEP)


class _Planner:
    """Everything fixed across sessions, in 0-based indices."""

    def __init__(self, members: Sequence[Member], settings: AllocationSettings, constraints: Constraints):
        self.members = members
        self.settings = settings
        self.constraints = constraints
        self.ids = [member.id for member in members]
        self.index = {member_id: i for i, member_id in enumerate(self.ids)}
        self.one_hot = _one_hot(members, settings.diversify)
        self.capacities = session_capacities(settings, len(members))
        full_sizes = session_sizes(self.capacities, len(members), np.zeros(settings.tables, dtype=int), 0)
        self.repeat_scale = repeat_scale(full_sizes.tolist(), settings.sessions)
        count = len(members)
        self.keep_apart = np.zeros((count, count))
        for pair in constraints.keep_apart:
            a, b = (self.index[m] for m in pair)
            self.keep_apart[a, b] = self.keep_apart[b, a] = PROHIBITIVE
        # Who each member is kept apart from, for the checks made every time a session is built.
        self.apart_from = [np.flatnonzero(row >= PROHIBITIVE).tolist() for row in self.keep_apart]
        self.meetings = np.zeros((count, count), dtype=np.int32)
        # Per session that cannot be seated with the tables _clusters would hold its clusters at, the
        # tables (0-based) each cluster uses in a seating the exact check found.
        self.anchors: dict[int, list[list[int]]] = {}
        self._seatable: dict[int, bool] = {}
        self.size_shift: dict[int, int] = {}  # session -> rotation of which tables get the spare seats
        self._spreads: dict[int, list[np.ndarray]] = {}  # session -> every rotation's seats (see above)
        # Per planned session, summed over features and tables: its lower bound and its seating's
        # deviations, for the pooled diversity budget.
        self.diversity_bound: dict[int, float] = {}
        self.diversity_total: dict[int, float] = {}
        for session in settings.past:
            self.meetings += co_seated(self._table_of(session))

    def seatable(self, session: int) -> bool:
        """Whether any seating of ``session`` meets every rule (the exact check, asked once)."""
        if session not in self._seatable:
            self._seatable[session] = session_seatable(self.members, self.settings, self.constraints, session)
        return self._seatable[session]

    def pair_penalty(self) -> np.ndarray:
        """Exact change of the plan's mixing cost when a pair sits together in the session being
        planned, given their meetings in all the other sessions: only pairs that met exactly once
        create a repeat pair, and only pairs that met at all lose a distinct meeting."""
        new_repeat = REPEAT_PENALTY * self.repeat_scale * (self.meetings == 1)
        return new_repeat + LOST_MEETING_PENALTY * (self.meetings >= 1) + self.keep_apart

    def _table_of(self, session: Sequence[Sequence[str]]) -> np.ndarray:
        table_of = np.full(len(self.ids), -1)
        for table, members in enumerate(session):
            table_of[[self.index[m] for m in members]] = table
        return table_of

    def session_problem(
        self,
        session: int,
        facilitator_draw: np.random.Generator | None = None,
        over_cap: float = OVER_CAP,
    ) -> tuple[SessionProblem, list[str | None]]:
        """Build session ``session`` (1-based): units, fixed tables, sizes and penalties.

        Facilitators are normally matched to tables after the members are seated (see
        ``match_facilitators``). Given ``facilitator_draw`` they are placed first instead (ties broken
        at random) and bar the members they are kept apart from from their tables."""
        layout = session_layout(self.index, self.settings.tables, self.constraints, session)
        present, minimum = layout.present, layout.minimum
        units, fixed_table = layout.units, layout.fixed_table
        sizes = layout.sizes(self.capacities, self.size_shift.get(session, 0))
        if not sizes.all():  # tables are filled evenly, so every spread of the seats leaves them empty
            empty = [str(t + 1) for t in np.flatnonzero(sizes == 0)]
            unfixed = int((minimum == 0).sum())
            raise InfeasibleConstraintsError(
                [
                    f"{int(minimum.sum())} of the {counted(len(present), 'member', 'members')} present in "
                    f"session {session} {plural(int(minimum.sum()), 'is', 'are')} "
                    "fixed at tables (with anyone kept together with them), which leaves "
                    f"{len(present) - int(minimum.sum())} for the {unfixed} "
                    f"{plural(unfixed, 'table', 'tables')} where no one is fixed: "
                    f"{plural(len(empty), 'table', 'tables')} {', '.join(empty)} would have nobody"
                ]
            )
        spreads = functools.partial(self.spreads, session)
        self._no_room(session, units, fixed_table, minimum, spreads)
        self._facilitator_shortage(session, units, fixed_table, spreads)
        table_penalty = np.zeros((len(self.ids), self.settings.tables))
        facilitators: list[str | None] = [None] * self.settings.tables
        if facilitator_draw is not None:
            facilitators = self._facilitators(session, units, fixed_table, table_penalty, facilitator_draw)
        try:
            self._clusters(session, units, fixed_table, spreads, table_penalty)
            # Before facilitators are placed only clusters bar tables, so a member with none left has none
            # in any seating; once placed, another placement may leave them one (_seat_session tries others).
            stranded = [self.ids[m] for m in present if table_penalty[m].min() >= PROHIBITIVE]
            if stranded and facilitator_draw is None:
                raise InfeasibleConstraintsError([self._no_table(member, session) for member in stranded])
        except InfeasibleConstraintsError:
            if self.hold_clusters_elsewhere(session) is None:
                raise
            return self.session_problem(session, facilitator_draw, over_cap)
        one_hot_present = self.one_hot[present]
        shares = one_hot_present.sum(axis=0) / len(present)
        self.diversity_bound[session] = (
            diversity_lower_bound([self.members[i] for i in present], self.settings.diversify, sizes.tolist())
            * len(self.settings.diversify)
            * len(sizes)
        )
        problem = SessionProblem(
            one_hot=self.one_hot,
            shares=shares,
            sizes=sizes.astype(float),
            pair_penalty=self.pair_penalty(),
            table_penalty=table_penalty,
            units=units,
            fixed_table=fixed_table,
            diversity_weight=DIVERSITY_WEIGHT * float(sizes.mean()),
            diversity_cap=self._diversity_cap(session),
            over_cap=over_cap,
        )
        return problem, facilitators

    def spreads(self, session: int) -> list[np.ndarray]:
        """Every way of spreading session ``session``'s seats the search may try (see _seat_session), for
        the exact checks of rules that need them: worked out once per session (the rules do not change
        between rounds) and only for plans with such rules, as it costs a loop over every seat per table."""
        if session not in self._spreads:
            layout = session_layout(self.index, self.settings.tables, self.constraints, session)
            self._spreads[session] = layout.spreads(self.capacities)
        return self._spreads[session]

    def hold_clusters_elsewhere(self, session: int) -> tuple[dict[str, int], list[str | None]] | None:
        """For a session the clusters' usual tables cannot seat: a seating of it that meets every rule with
        the clusters at whichever tables (the exact check's), whose tables the clusters are then held at;
        None when there is none, or the clusters were already moved to such tables."""
        if not self.constraints.clusters or session in self.anchors:
            return None
        found = exact_seating(self.members, self.settings, self.constraints, session)
        if found is not None:
            seats = found[0]
            self.anchors[session] = [
                sorted({seats[m] for m in cluster.members if m in seats})
                for cluster in self.constraints.clusters
            ]
        return found

    def _no_table(self, member: str, session: int) -> str:
        """Why the clusters of ``member`` bar every table to them."""
        clusters = " and ".join(
            fmt_group(c.members) for c in self.constraints.clusters if member in c.members
        )
        return f"{member} has no table in session {session}: the tables of their clusters {clusters} differ"

    def _diversity_cap(self, session: int) -> float:
        """Summed deviations session ``session`` may reach before diversity turns steep: the slack above
        its bound while sessions are first seated, then the plan's pooled budget less what the other
        sessions use, between its bound and ``session_slack`` above it."""
        bound = self.diversity_bound[session]
        slack = self.settings.diversity_slack
        others = [s for s in self.diversity_total if s != session]
        if len(others) + 1 < self.settings.sessions - len(self.settings.past):
            return (1 + slack) * bound
        pooled = (1 + slack) * sum(self.diversity_bound.values())
        pooled -= sum(self.diversity_total[s] for s in others)
        return max(bound, min(pooled, (1 + self.session_slack) * bound))

    @property
    def session_slack(self) -> float:
        """How far above its own bound one session may go once the budget is pooled."""
        return max(SESSION_SLACK_MAX, self.settings.diversity_slack)

    def match_facilitators(self, table_of: np.ndarray) -> list[str | None] | None:
        """Facilitators for seated tables so none sits with a member they are kept apart from; None
        when no such matching exists."""
        facilitators = self.constraints.facilitators
        if not facilitators:
            return [None] * self.settings.tables
        cost = np.array(
            [
                [sum(table_of[self.index[m]] == t for m in f.keep_apart) for t in range(self.settings.tables)]
                for f in facilitators
            ]
        )
        rows, cols = _assignment(cost)
        if cost[rows, cols].sum() > 0:
            return None
        chosen: list[str | None] = [None] * self.settings.tables
        for f, table in zip(rows, cols, strict=True):
            chosen[table] = facilitators[f].id
        return chosen

    def _facilitators(
        self,
        session: int,
        units: list[list[int]],
        fixed_table: dict[int, int],
        table_penalty: np.ndarray,
        draw: np.random.Generator,
    ) -> list[str | None]:
        """Give each table a facilitator none of whose fixed members they are kept apart from; members
        kept apart from a table's facilitator may not use that table."""
        facilitators = self.constraints.facilitators
        tables = self.settings.tables
        if not facilitators:
            return [None] * tables
        # A clash with a fixed member rules the pairing out; otherwise prefer, when there are spare
        # facilitators, those kept apart from fewer members, leaving those members more tables.
        cost = 1e-4 * draw.random((len(facilitators), tables))
        present = {self.ids[m] for unit in units for m in unit}
        for f, facilitator in enumerate(facilitators):
            cost[f] += 1e-3 * len(facilitator.keep_apart & present)
            for unit, table in fixed_table.items():
                cost[f, table] += sum(self.ids[m] in facilitator.keep_apart for m in units[unit])
        rows, cols = _assignment(cost)
        chosen: list[str | None] = [None] * tables
        for f, table in zip(rows, cols, strict=True):
            chosen[table] = facilitators[f].id
            for member_id in facilitators[f].keep_apart:
                table_penalty[self.index[member_id], table] += PROHIBITIVE
        if cost[rows, cols].sum() >= 1:
            raise InfeasibleConstraintsError(
                [
                    f"no facilitator is free for table {table + 1} in session {session}: facilitator "
                    f"{facilitators[f].id} is kept apart from {self.ids[m]}, who is fixed there"
                    for f, table in zip(rows, cols, strict=True)
                    for unit, fixed in fixed_table.items()
                    if fixed == table
                    for m in units[unit]
                    if self.ids[m] in facilitators[f].keep_apart
                ]
            )
        return chosen

    def _no_room(
        self,
        session: int,
        units: list[list[int]],
        fixed_table: dict[int, int],
        minimum: np.ndarray,
        spreads: Callable[[], list[np.ndarray]],
    ) -> None:
        """Raise when a keep-together group that is not fixed finds no table with that many seats left
        beside the members fixed there, however the seats are spread."""
        if all(len(unit) == 1 or u in fixed_table for u, unit in enumerate(units)):
            return
        room = max(int((sizes - minimum).max()) for sizes in spreads())
        present = sum(len(unit) for unit in units)
        split = f"split it into groups of at most {room} (groups that share a member count as one)"
        problems = []
        if minimum.any():
            why = f"once the members fixed at tables are seated no table has more than {room} seats left"
            fewer = f"fix fewer members at tables in session {session}"
        else:  # nobody is fixed: the tables are small because the seats are shared out evenly
            why = f"the {present} members present are shared out evenly, so no table seats more than {room}"
            fewer = (
                f"mark fewer members absent from session {session}"
                if self.constraints.absent.get(session)
                else ""
            )
        for u, unit in enumerate(units):
            if u in fixed_table or len(unit) <= room:
                continue
            ways = [split if room > 1 else "remove it", fewer]
            ways = [way for way in ways if way] + self._fewer_tables(present, minimum, len(unit))
            advice = f"{', '.join(ways[:-1])}, or {ways[-1]}" if len(ways) > 1 else ways[0]
            problems.append(
                f"keep-together group {fmt_group(self.ids[m] for m in unit)} has "
                f"{counted(len(unit), 'member', 'members')} present in session {session}, but {why}: {advice}"
            )
        if problems:
            raise InfeasibleConstraintsError(problems)

    def _fewer_tables(self, present: int, minimum: np.ndarray, wanted: int) -> list[str]:
        """Advice to use the most tables, fewer than now, at which some table has ``wanted`` seats left
        beside the members fixed there in a spread the search may try (none when no such number: fewer
        tables cannot drop a table where members are fixed)."""
        fixed_at = np.flatnonzero(minimum)
        lowest = int(fixed_at.max()) + 1 if len(fixed_at) else 1
        for tables in range(self.settings.tables - 1, lowest - 1, -1):
            even = AllocationSettings(tables=tables, sessions=1, diversify=())
            capacities = session_capacities(even, len(self.ids))
            kept = minimum[:tables]
            if any(
                (session_sizes(capacities, present, kept, shift) - kept).max() >= wanted
                for shift in range(tables)
            ):
                option = f"--tables {tables}" + (" and no --table-sizes" if self.settings.table_sizes else "")
                return [
                    f"use fewer, larger tables: at {tables} {plural(tables, 'table', 'tables')} ({option}) "
                    "there is room for it"
                ]
        return []

    def _facilitator_shortage(
        self,
        session: int,
        units: list[list[int]],
        fixed_table: dict[int, int],
        spreads: Callable[[], list[np.ndarray]],
    ) -> None:
        """Raise when, however the seats are spread, the tables cannot each get a facilitator whose table
        can be filled: facilitator f can take table t only if t's seats can be filled without the members
        f is kept apart from (nor anyone kept together with them) and without members fixed elsewhere."""
        facilitators = self.constraints.facilitators
        if not facilitators:
            return
        tables = self.settings.tables
        present = sum(len(unit) for unit in units)
        fixed_at = {m: table for u, table in fixed_table.items() for m in units[u]}
        left = np.zeros((len(facilitators), tables), dtype=int)  # members f may have at table t
        for f, facilitator in enumerate(facilitators):
            for unit in units:
                if any(self.ids[m] in facilitator.keep_apart for m in unit):
                    continue
                for m in unit:
                    if m in fixed_at:
                        left[f, fixed_at[m]] += 1
                    else:
                        left[f] += 1
        for sizes in spreads():
            cost = (left < sizes).astype(float)
            rows, cols = _assignment(cost)
            if cost[rows, cols].sum() == 0:
                return
        sizes = spreads()[0]
        reasons = []
        for f, facilitator in enumerate(facilitators):
            able = np.flatnonzero(left[f] >= sizes)
            if len(able) == tables:
                continue
            shunned = len(facilitator.keep_apart & {self.ids[m] for unit in units for m in unit})
            reason = (
                f"{facilitator.id} is kept apart from {shunned} of the "
                f"{counted(present, 'member', 'members')} present"
            )
            if len(able):
                reason += f", so can take only {plural(len(able), 'table', 'tables')} "
                reasons.append(reason + ", ".join(str(t + 1) for t in able))
            else:
                more = " or more" if sizes.min() < sizes.max() else ""
                reasons.append(
                    f"{reason}, which leaves {int(left[f].max())} to fill tables of {sizes.min()}{more}"
                )
        raise InfeasibleConstraintsError(
            [
                f"{plural(tables, 'the table', f'the {tables} tables')} in session {session} cannot "
                f"{plural(tables, '', 'each ')}get a facilitator whose table can be filled: "
                + "; ".join(reasons)
            ]
        )

    def _clusters(
        self,
        session: int,
        units: list[list[int]],
        fixed_table: dict[int, int],
        spreads: Callable[[], list[np.ndarray]],
        table_penalty: np.ndarray,
    ) -> None:
        """Confine each cluster to its number of tables: those where its members are fixed (or, once those
        proved unseatable, those it uses in the exact check's seating: ``anchors``), then the
        lowest-numbered ones no earlier cluster holds (two language groups should not be sent to the same
        table, each with its interpreter, while other tables are free of both). Seats are counted at the
        spread of seats (``spreads``) that gives those tables the most."""
        tables_count = self.settings.tables

        def seats_at(tables: Collection[int]) -> int:
            return max(int(sizes[sorted(tables)].sum()) for sizes in spreads())

        fixed_of = {m: fixed_table[u] for u, unit in enumerate(units) for m in unit if u in fixed_table}
        held: list[tuple[Cluster, frozenset[int], set[int]]] = []  # cluster, its tables, who sits there
        clusters_at = np.zeros(tables_count, dtype=int)
        for index, cluster in enumerate(self.constraints.clusters):
            present = [self.index[m] for m in cluster.members if any(self.index[m] in u for u in units)]
            allowed = sorted({fixed_of[m] for m in present if m in fixed_of})
            if len(allowed) > cluster.tables:
                raise InfeasibleConstraintsError(
                    [
                        f"cluster {fmt_group(cluster.members)} must use "
                        f"{counted(cluster.tables, 'table', 'tables')} but its "
                        f"members are fixed at tables {', '.join(str(t + 1) for t in allowed)} "
                        f"in session {session}"
                    ]
                )
            fixed_there = bool(allowed)  # so another fixed seat would hold it elsewhere
            if session in self.anchors:
                allowed = self.anchors[session][index]
            allowed = cluster_tables(allowed, cluster.tables, clusters_at)
            # Whoever is kept together with a cluster member sits at the cluster's tables too.
            escorts = {m for unit in units if set(unit) & set(present) for m in unit} - set(present)
            # Members fixed at those tables take seats there too.
            seated = set(present) | escorts
            others = sorted(self.ids[m] for m, t in fixed_of.items() if t in allowed and m not in seated)
            if len(present) + len(escorts) + len(others) > seats_at(allowed):
                also = f" and {len(escorts)} kept together with them" if escorts else ""
                taken = (
                    f", and {', '.join(others)} {plural(len(others), 'is', 'are')} fixed there"
                    if others
                    else ""
                )
                if others and fixed_there:
                    taken += "; fix a member of the cluster at another table to hold it there"
                its_tables = plural(cluster.tables, "its table seats", f"its {cluster.tables} tables seat")
                raise InfeasibleConstraintsError(
                    [
                        f"cluster {fmt_group(cluster.members)} has "
                        f"{counted(len(present), 'member', 'members')}{also} in session {session} but "
                        f"{its_tables} only {seats_at(allowed)}{taken}"
                    ]
                )
            held.append((cluster, frozenset(allowed), seated))
            banned = [t for t in range(tables_count) if t not in allowed]
            table_penalty[np.ix_(present, banned)] += PROHIBITIVE
        for _, tables, _ in held:  # clusters held within the same tables share their seats
            inside = [(cluster, seated) for cluster, other, seated in held if other <= tables]
            seated = set().union(*(seated for _, seated in inside))
            seats = seats_at(tables)
            if len(inside) > 1 and len(seated) > seats:
                # Moving a fixed seat can hold a cluster elsewhere; other tables were tried already: the
                # caller seats the session exactly, with the clusters at whichever tables, before this
                # error reaches the officer (``hold_clusters_elsewhere``).
                pinned = any(members & fixed_of.keys() for _, members in inside)
                raise InfeasibleConstraintsError(
                    [
                        f"clusters {' and '.join(fmt_group(c.members) for c, _ in inside)} are "
                        f"{'both' if len(inside) == 2 else 'all'} held at "
                        f"{plural(len(tables), 'table', 'tables')} "
                        f"{', '.join(str(t + 1) for t in sorted(tables))} in session {session}, which "
                        f"{plural(len(tables), 'seats', 'seat')} {seats}, but they have {len(seated)} "
                        "members (with any kept together with them), and no seating of session "
                        f"{session} that meets every rule holds them at other tables"
                        + (
                            "; fix a member of one cluster at another table to hold it there"
                            if pinned
                            else ""
                        )
                    ]
                )
        self._apart_from_fixed(session, units, fixed_of, held)

    def _apart_from_fixed(
        self,
        session: int,
        units: list[list[int]],
        fixed_of: dict[int, int],
        held: list[tuple[Cluster, frozenset[int], set[int]]],
    ) -> None:
        """Raise when someone not fixed (with anyone kept together with them) is kept apart from members
        fixed at every table open to them: all tables, or those their clusters are held at."""
        tables = self.settings.tables
        problems: list[str] = []
        for unit in units:
            if unit[0] in fixed_of:
                continue
            open_tables = frozenset(range(tables))
            clusters = []
            for cluster, its_tables, seated in held:
                if seated & set(unit):
                    open_tables &= its_tables
                    clusters.append(fmt_group(cluster.members))
            blockers = {
                (self.ids[a], self.ids[b], fixed_of[b])
                for a in unit
                for b in self.apart_from[a]
                if fixed_of.get(b) in open_tables
            }
            if not open_tables or {table for _, _, table in blockers} < open_tables:
                continue  # clusters alone leave no table (explained later), or a table is left
            who = fmt_group(self.ids[m] for m in unit) if len(unit) > 1 else self.ids[unit[0]]
            reasons = [
                f"{a} is kept apart from {b}, who is fixed at table {t + 1}" for a, b, t in sorted(blockers)
            ]
            if clusters:
                at = ", ".join(str(t + 1) for t in sorted(open_tables))
                reasons.insert(
                    0,
                    f"{plural(len(clusters), 'cluster', 'clusters')} {' and '.join(clusters)} "
                    f"{plural(len(clusters), 'is', 'are')} held at "
                    f"{plural(len(open_tables), 'table', 'tables')} {at}",
                )
            problems.append(f"{who} has no table in session {session}: {'; '.join(reasons)}")
        if problems:
            raise InfeasibleConstraintsError(problems)


class _SearchFailed(InfeasibleConstraintsError):
    """The search ended with rules broken (``problems``): they conflict, or the search missed a seating."""


def _breaks_rules(problem: SessionProblem, table_of: np.ndarray) -> bool:
    """Whether a seating pays a prohibitive cost: a barred table or a kept-apart pair together."""
    seated = np.flatnonzero(table_of >= 0)
    barred = problem.table_penalty[seated, table_of[seated]] >= PROHIBITIVE
    apart = (problem.pair_penalty >= PROHIBITIVE) & (co_seated(table_of) > 0)
    return bool(barred.any() or apart.any())


def _construct(problem: SessionProblem, rng: np.random.Generator) -> np.ndarray | None:
    """Greedy first seating: fixed units, then the others (big groups and rare profiles first), each at
    the table that most needs its values, avoiding penalised tables and pairs; None when, as the tables
    filled, a group kept together found no table with room left."""
    members, tables = problem.one_hot.shape[0], len(problem.sizes)
    table_of = np.full(members, -1)
    free = problem.sizes.copy()
    counts = np.zeros((tables, problem.one_hot.shape[1]))
    pair_sums = np.zeros((members, tables))

    def place(unit: list[int], table: int) -> None:
        table_of[unit] = table
        free[table] -= len(unit)
        counts[table] += problem.one_hot[unit].sum(axis=0)
        pair_sums[:, table] += problem.pair_penalty[:, unit].sum(axis=1)

    for unit_index, table in problem.fixed_table.items():
        place(problem.units[unit_index], table)
    rarity_weights = np.divide(
        1.0, problem.shares, out=np.zeros_like(problem.shares), where=problem.shares > 0
    )
    free_units = [u for u in rng.permutation(len(problem.units)) if u not in problem.fixed_table]
    allowed_tables = (problem.table_penalty < PROHIBITIVE).sum(axis=1)
    free_units.sort(  # big groups, then members with few tables open to them, then rare profiles
        key=lambda u: (
            -len(problem.units[u]),
            int(allowed_tables[problem.units[u]].min()),
            -(problem.one_hot[problem.units[u]].sum(0) * rarity_weights).sum(),
        )
    )
    for u in free_units:
        unit = problem.units[u]
        held = problem.one_hot[unit].sum(axis=0)
        need = ((problem.shares * problem.sizes[:, None] - counts) * held).sum(axis=1)
        score = need / problem.sizes - pair_sums[unit].sum(axis=0) - problem.table_penalty[unit].sum(axis=0)
        score[free < len(unit)] = -np.inf
        if not np.isfinite(score).any():
            return None
        place(unit, int(np.argmax(score)))
    return table_of


def annealing_budget(
    movers: int, sessions: int, round_number: int, effort: float = 1.0
) -> tuple[int, int, float]:
    """The fewest and most annealing steps and the work units for one session in round
    ``round_number`` of a plan of ``sessions`` sessions: an equal share of PLAN_WORK (later rounds,
    which start cooler, get a half and a third of the first round's share), all times ``effort``."""
    movers = max(movers, 1)
    scale = effort / (1 + round_number)
    fewest = min(MAX_STEPS_PER_MEMBER, SESSION_WORK / movers**2) * movers
    most = max(fewest, MAX_BUDGET_STEPS_PER_MEMBER * movers)
    rounds = sum(1 / (1 + r) for r in range(1 + REFINE_ROUNDS))
    return int(scale * fewest), int(scale * most), scale * PLAN_WORK / (max(sessions, 1) * rounds)


def _seat_session(
    planner: _Planner,
    session: int,
    previous: np.ndarray | None,
    round_number: int,
    rng: np.random.Generator,
    out_of_time: Callable[[], bool],
) -> tuple[np.ndarray, list[str | None]]:
    """One pass over one session: anneal from its previous seating (or a greedy one; in
    DESCENT_ROUND only descend), put diversity back within budget from the last annealing round on,
    and match facilitators to tables. While rules stay broken,
    place facilitators first, then try spreading the seats differently (which tables get one more)."""
    for size_try in range(SIZE_TRIES):
        if size_try:
            planner.size_shift[session] = planner.size_shift.get(session, 0) + 1
            previous = None
        problem, _ = planner.session_problem(session)
        start = previous if previous is not None else _construct(problem, rng)
        if start is None:  # no table left for a group as the greedy seating went: find a seating exactly
            return _exact_session(planner, session, rng, out_of_time)
        search = SessionSearch(problem, start)
        sessions = planner.settings.sessions - len(planner.settings.past)
        fewest, most, work = annealing_budget(
            len(search.singles), sessions, round_number, planner.settings.effort
        )
        budget = (most, work, fewest)  # anneal's steps, work and min_steps
        temperature = START_TEMPERATURE / (1 + round_number)
        finishing = round_number >= REFINE_ROUNDS  # the last annealing round and the descent
        if round_number == DESCENT_ROUND:
            search.descend(out_of_time, rng, pair_exchanges=True)
        else:
            search.anneal(rng, temperature, END_TEMPERATURE, out_of_time, finishing, *budget)
        if finishing and search.diversity_total > problem.diversity_cap:
            # Diversity comes first: when mixing pulled it above budget, trade some mixing back.
            problem, _ = planner.session_problem(session, over_cap=POLISH_OVER_CAP)
            search = SessionSearch(problem, search.table_of)
            search.anneal(rng, temperature, END_TEMPERATURE, out_of_time, True, *budget)
        matched = planner.match_facilitators(search.table_of)
        for _ in range(FACILITATOR_TRIES if matched is None else 0):
            # No matching for this seating: place facilitators first and re-seat around them.
            problem, chosen = planner.session_problem(session, facilitator_draw=rng)
            search = SessionSearch(problem, search.table_of)
            search.anneal(rng, temperature, END_TEMPERATURE, out_of_time, False, *budget)
            if not _breaks_rules(problem, search.table_of):
                matched = chosen
                break
        if matched is not None and not _breaks_rules(problem, search.table_of):
            break
    else:
        if round_number == DESCENT_ROUND:  # rules still broken in the last pass: seat the session exactly
            return _exact_session(planner, session, rng, out_of_time)
        if not planner.seatable(session):  # no later round can seat it either: say why now
            raise _SearchFailed([])
    planner.diversity_total[session] = search.diversity_total
    return search.table_of, matched or chosen


def _exact_session(
    planner: _Planner, session: int, rng: np.random.Generator, out_of_time: Callable[[], bool]
) -> tuple[np.ndarray, list[str | None]]:
    """A seating of ``session`` that meets every rule, for one the search could not seat: the exact
    check's (``conflicts.exact_seating``), descended to better tables while facilitators can still be
    matched to them. Raise _SearchFailed when no seating meets every rule."""
    found = exact_seating(planner.members, planner.settings, planner.constraints, session)
    if found is None:
        raise _SearchFailed([])
    seats, chosen = found
    table_of = np.full(len(planner.ids), -1)
    for member, table in seats.items():
        table_of[planner.index[member]] = table
    sizes = np.bincount(table_of[table_of >= 0], minlength=planner.settings.tables)
    # The exact check seats the session in one of the spreads the search may try: build the session with it.
    planner.size_shift[session] = next(
        shift for shift, spread in enumerate(planner.spreads(session)) if (spread == sizes).all()
    )
    problem, _ = planner.session_problem(session)
    search = SessionSearch(problem, table_of)
    search.descend(out_of_time, rng, pair_exchanges=True)
    matched = planner.match_facilitators(search.table_of)
    if matched is None or _breaks_rules(problem, search.table_of):
        search, matched = SessionSearch(problem, table_of), chosen
    planner.diversity_total[session] = search.diversity_total
    return search.table_of, matched


def _improve_mixing(
    planner: _Planner,
    planned: list[int],
    seatings: dict[int, np.ndarray],
    facilitators: dict[int, list[str | None]],
    rng: np.random.Generator,
    out_of_time: Callable[[], bool],
) -> None:
    """Run the tabu search over the planned sessions and keep its plan when every session still gets
    facilitators (the search moves only single members who are not fixed, never to a barred table or
    beside someone they are kept apart from)."""
    count, tables = len(planner.ids), planner.settings.tables
    movable = np.zeros((len(planned), count), dtype=bool)
    barred = np.zeros((len(planned), count, tables), dtype=bool)
    totals = []
    for index, session in enumerate(planned):
        seats, _ = planner.session_problem(session)
        singles = [u[0] for k, u in enumerate(seats.units) if len(u) == 1 and k not in seats.fixed_table]
        movable[index, singles] = True
        barred[index] = seats.table_penalty >= PROHIBITIVE
        totals.append(planner.diversity_total[session])
        if (seats.sizes == 0).any():
            return  # an empty table: D leaves it out, which the search's bookkeeping does not
    bounds = np.array([planner.diversity_bound[session] for session in planned])
    past = planner.meetings - sum(co_seated(seatings[session]) for session in planned)
    problem = TabuProblem(
        table_of=np.stack([seatings[session] for session in planned]),
        past_meetings=past,
        one_hot=planner.one_hot,
        movable=movable,
        barred=barred,
        apart=planner.keep_apart >= PROHIBITIVE,
        diversity_limit=max((1 + planner.settings.diversity_slack) * float(bounds.sum()), sum(totals)),
        session_limits=np.maximum((1 + planner.session_slack) * bounds, totals),
        repeat_weight=REPEAT_WEIGHT * planner.repeat_scale,
    )
    improved = improve_plan(problem, rng, TABU_WORK * planner.settings.effort, out_of_time)
    matched: list[list[str | None]] = []
    for table_of in improved:
        chosen = planner.match_facilitators(table_of)
        if chosen is None:
            return
        matched.append(chosen)
    for index, session in enumerate(planned):
        planner.meetings += co_seated(improved[index]) - co_seated(seatings[session])
        seatings[session] = improved[index]
        facilitators[session] = matched[index]


def allocate(
    members: Sequence[Member], settings: AllocationSettings, constraints: Constraints | None = None
) -> Allocation:
    """Seat ``members`` for every session not in ``settings.past``; raise InfeasibleConstraintsError
    (naming the conflicting rules) when the rules cannot all hold, ValueError on unknown ids."""
    constraints = constraints or Constraints()
    try:
        return _allocate_hard_panels_again(members, settings, constraints)
    except _SearchFailed as error:
        raise conflict_error(members, settings, constraints, error.problems) from None
    except InfeasibleConstraintsError as error:
        raise conflict_error(members, settings, constraints, error.problems, explained=True) from None


def _allocate_hard_panels_again(
    members: Sequence[Member], settings: AllocationSettings, constraints: Constraints
) -> Allocation:
    """``_allocate``; then, when the plan's diversity misses its aim (``diversity_aim``) and the
    settings allow a longer search, once more from the start with ``settings.hard_panel_effort``,
    keeping the more diverse plan. A panel whose features are hard to balance jointly needs a longer
    search, which an officer should not have to know to ask for."""
    started = time.monotonic()
    plan = _allocate(members, settings, constraints)
    harder = settings.hard_panel_effort
    if plan.stopped_by_time_limit or harder is None or harder <= settings.effort:
        return plan
    by_id = {member.id: member for member in members}

    def planned_diversity(plan: Allocation) -> float:  # sessions already run are what they were
        return diversity(by_id, plan.seating[len(settings.past) :], settings.diversify)

    achieved = planned_diversity(plan)
    bound = seating_lower_bound(by_id, plan.seating[len(settings.past) :], settings.diversify)
    if achieved <= (1 + diversity_aim(settings.diversity_slack)) * bound + 1e-9:
        return plan
    time_limit = settings.time_limit
    if time_limit is not None:
        time_limit -= time.monotonic() - started
        if time_limit <= 0:  # no time left for the longer search the plan needed
            return replace(plan, stopped_by_time_limit=True)
    where = f"{achieved / bound - 1:.1%} above its lower bound" if bound > 0 else "above its lower bound"
    if settings.progress:
        message = f"diversity ended {where}: searching again with {harder:g} times the effort"
        settings.progress(Progress(0.0, message))
    try:
        again = _allocate(members, replace(settings, effort=harder, time_limit=time_limit), constraints)
    except (_SearchFailed, InfeasibleConstraintsError):  # cut short by the time limit before rules held
        return replace(plan, stopped_by_time_limit=True)
    if planned_diversity(again) < achieved:
        return again
    return replace(plan, stopped_by_time_limit=again.stopped_by_time_limit)


def _allocate(
    members: Sequence[Member], settings: AllocationSettings, constraints: Constraints
) -> Allocation:
    validate(members, settings, constraints)
    started = time.monotonic()

    def out_of_time() -> bool:
        return settings.time_limit is not None and time.monotonic() - started > settings.time_limit

    report: Callable[[Progress], None] = settings.progress or (lambda _: None)
    planner = _Planner(members, settings, constraints)
    rng = np.random.default_rng(settings.seed)
    planned = list(range(len(settings.past) + 1, settings.sessions + 1))
    seatings: dict[int, np.ndarray] = {}
    facilitators: dict[int, list[str | None]] = {}
    total_passes = len(planned) * (DESCENT_ROUND + 1)
    passes = 0
    for round_number in range(DESCENT_ROUND + 1):
        if out_of_time() and len(seatings) == len(planned) and round_number < DESCENT_ROUND:
            passes += len(planned)  # out of time: only the last pass, which sees that every rule holds
            continue
        for session in planned:
            if session in seatings:
                planner.meetings -= co_seated(seatings[session])
            seatings[session], facilitators[session] = _seat_session(
                planner, session, seatings.get(session), round_number, rng, out_of_time
            )
            planner.meetings += co_seated(seatings[session])
            passes += 1
            report(Progress(passes / total_passes, f"round {round_number + 1}: session {session} seated"))
    _improve_mixing(planner, planned, seatings, facilitators, rng, out_of_time)
    report(Progress(1.0, "repeat pairs reduced across sessions"))
    seating = [list(map(list, session)) for session in settings.past]
    for session in planned:
        table_of = seatings[session]
        seating.append(
            [[planner.ids[m] for m in np.flatnonzero(table_of == t)] for t in range(settings.tables)]
        )
    allocation = Allocation(
        seating=seating,
        facilitators=[[None] * settings.tables for _ in settings.past] + [facilitators[s] for s in planned],
        stopped_by_time_limit=out_of_time(),
        effort=settings.effort,
    )
    problems = constraint_violations(members, settings, constraints, allocation)
    if problems:
        raise _SearchFailed(problems)
    return allocation
