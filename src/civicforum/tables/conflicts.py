"""Which rules conflict: an exact check of one session's hard rules, and a smallest set of rules that
still cannot all hold, so that an officer is told which rows to change rather than that no seating
was found.

The check solves a small integer programme (HiGHS, through scipy) with the engine's own meaning of
the rules: seats spread as evenly as the fixed seats allow (every way the search may try), groups
kept together merged when they share a member, each cluster on at most its number of tables (any of
them: the engine moves a cluster to other tables when those it holds it at first cannot be seated) and
one facilitator at every table. It is run only once a plan has failed, never on the way to one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from civicforum.wording import plural

from .model import (
    AllocationSettings,
    Cluster,
    Constraints,
    Facilitator,
    FixedSeat,
    InfeasibleConstraintsError,
    Member,
    Rule,
)
from .rules import fmt_group, session_capacities, session_layout

# Work the search for a smallest set of conflicting rules may do before it names the rules it has not yet
# been able to leave out (all of which still conflict), counted as members times tables per exact check
# (about the size of its integer programme), not timed, so that the message is the same on any machine:
# 300 checks of 50 members at 6 tables, 75 of 200 at 20 (about 10 CPU s; a check there takes 0.05-0.2 s).
SHRINK_WORK = 300_000


def rules_of(constraints: Constraints) -> list[Rule]:
    """Every rule in ``constraints``, one per row of the files they come from."""
    rules = [
        Rule("keep-together", g, m)
        for g, group in enumerate(constraints.keep_together)
        for m in sorted(group)
    ]
    rules += [Rule("keep-apart", p) for p in range(len(constraints.keep_apart))]
    rules += [Rule("fixed", s) for s in range(len(constraints.fixed))]
    rules += [
        Rule("absent", member=m, session=s)
        for s, ids in sorted(constraints.absent.items())
        for m in sorted(ids)
    ]
    rules += [
        Rule("facilitator", f, m)
        for f, facilitator in enumerate(constraints.facilitators)
        for m in sorted(facilitator.keep_apart)
    ]
    rules += [
        Rule("cluster", c, m)
        for c, cluster in enumerate(constraints.clusters)
        for m in sorted(cluster.members)
    ]
    return rules


def only(constraints: Constraints, rules: Sequence[Rule]) -> Constraints:
    """``constraints`` with only ``rules`` (every facilitator stays, kept apart from fewer members)."""
    kept = set(rules)
    absent: dict[int, frozenset[str]] = {}
    for rule in rules:
        if rule.kind == "absent":
            absent[rule.session] = absent.get(rule.session, frozenset()) | {rule.member}
    return Constraints(
        keep_together=[
            frozenset(m for m in group if Rule("keep-together", g, m) in kept)
            for g, group in enumerate(constraints.keep_together)
        ],
        keep_apart=[pair for p, pair in enumerate(constraints.keep_apart) if Rule("keep-apart", p) in kept],
        fixed=[seat for s, seat in enumerate(constraints.fixed) if Rule("fixed", s) in kept],
        absent=absent,
        facilitators=[
            Facilitator(f.id, frozenset(m for m in f.keep_apart if Rule("facilitator", i, m) in kept))
            for i, f in enumerate(constraints.facilitators)
        ],
        clusters=[  # a cluster with none of its rows left is no cluster, and holds no table
            Cluster(members, c.tables)
            for i, c in enumerate(constraints.clusters)
            if (members := frozenset(m for m in c.members if Rule("cluster", i, m) in kept))
        ],
        sources=constraints.sources,
    )


def describe(rule: Rule, constraints: Constraints) -> str:
    """``rule`` in words, after where it was given (``constraints.sources``) when known."""
    if rule.kind == "keep-together":
        group = fmt_group(constraints.keep_together[rule.index])
        words = f"{rule.member} is in the keep-together group {group}"
    elif rule.kind == "keep-apart":
        a, b = sorted(constraints.keep_apart[rule.index])
        words = f"{a} and {b} are kept apart"
    elif rule.kind == "fixed":
        seat: FixedSeat = constraints.fixed[rule.index]
        words = f"{seat.member} is fixed at table {seat.table} in session {seat.session}"
    elif rule.kind == "absent":
        words = f"{rule.member} is absent from session {rule.session}"
    elif rule.kind == "facilitator":
        words = f"facilitator {constraints.facilitators[rule.index].id} is kept apart from {rule.member}"
    else:
        cluster = constraints.clusters[rule.index]
        tables = plural(cluster.tables, "table", "tables")
        words = f"{rule.member} is in cluster {fmt_group(cluster.members)}, held on {cluster.tables} {tables}"
    source = constraints.sources.get(rule)
    return f"{source}: {words}" if source else words


def exact_seating(
    members: Sequence[Member], settings: AllocationSettings, constraints: Constraints, session: int
) -> tuple[dict[str, int], list[str | None]] | None:
    """A seating of session ``session`` (1-based) that meets every rule, as the engine reads them: each
    present member's table and each table's facilitator (0-based tables); None when there is none. Each
    cluster is held at whichever tables, as many as it may use."""
    # Imported here: scipy.optimize takes 0.2-0.4 s to load, which only a plan that failed should pay.
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    ids = [m.id for m in members]
    tables = settings.tables
    absent = constraints.absent.get(session, frozenset())
    if session <= len(settings.past):  # run already: the rules for it must agree with how it ran
        table_of = {m: t for t, table in enumerate(settings.past[session - 1]) for m in table}
        agrees = all(
            table_of.get(seat.member) == seat.table - 1
            for seat in constraints.fixed
            if seat.session == session
        )
        return (table_of, [None] * tables) if agrees and not absent & table_of.keys() else None
    capacities = session_capacities(settings, len(ids))
    index = {m: i for i, m in enumerate(ids)}
    layout = session_layout(index, tables, constraints, session)
    units, fixed_table = layout.units, layout.fixed_table
    if len(layout.present) < tables or sum(capacities) < len(ids):
        return None
    if constraints.facilitators and len(constraints.facilitators) < tables:
        return None
    if layout.fixed_clash or (layout.minimum > np.asarray(capacities)).any():
        return None
    unit_of = {ids[m]: u for u, unit in enumerate(units) for m in unit}
    spreads = np.unique(np.array(layout.spreads(capacities)), axis=0)
    if not spreads.all():  # a table left empty (seats are spread evenly, so by every spread)
        return None
    # A unit with a fixed seat may sit only at that table.
    open_to = np.ones((len(units), tables), dtype=bool)
    for u, table in fixed_table.items():
        open_to[u] = False
        open_to[u, table] = True
    # Variables: x[u, t] (unit u at table t), then y[f, t] (facilitator f at table t), then z[k] (spread k),
    # then h[c, t] (cluster c holds table t).
    n_units, n_facilitators, n_spreads = len(units), len(constraints.facilitators), len(spreads)
    n_clusters = len(constraints.clusters)
    size = n_units * tables + n_facilitators * tables + n_spreads + n_clusters * tables

    def x(u: int, t: int) -> int:
        return u * tables + t

    def y(f: int, t: int) -> int:
        return n_units * tables + f * tables + t

    rows: list[dict[int, float]] = []
    lower: list[float] = []
    upper: list[float] = []

    def require(coefficients: dict[int, float], low: float, high: float) -> None:
        rows.append(coefficients)
        lower.append(low)
        upper.append(high)

    for u in range(n_units):  # every unit at one table
        require({x(u, t): 1.0 for t in range(tables)}, 1, 1)
    z0 = n_units * tables + n_facilitators * tables
    require({z0 + k: 1.0 for k in range(n_spreads)}, 1, 1)  # one way of spreading the seats
    for t in range(tables):  # each table filled to its seats in that spread
        seats = {x(u, t): float(len(units[u])) for u in range(n_units)}
        seats.update({z0 + k: -float(spreads[k, t]) for k in range(n_spreads)})
        require(seats, 0, 0)
    for pair in constraints.keep_apart:
        a, b = sorted(pair)
        if a in unit_of and b in unit_of:
            if unit_of[a] == unit_of[b]:
                return None
            for t in range(tables):
                require({x(unit_of[a], t): 1.0, x(unit_of[b], t): 1.0}, 0, 1)
    h0 = z0 + n_spreads
    for c in range(n_clusters):  # at most its number of tables, and its members only there
        cluster = constraints.clusters[c]
        require({h0 + c * tables + t: 1.0 for t in range(tables)}, 0, cluster.tables)
        for u in sorted({unit_of[m] for m in cluster.members if m in unit_of}):
            for t in range(tables):
                require({x(u, t): 1.0, h0 + c * tables + t: -1.0}, -1, 0)
    if n_facilitators:
        for t in range(tables):  # one facilitator per table, each at one table at most
            require({y(f, t): 1.0 for f in range(n_facilitators)}, 1, 1)
        for f, facilitator in enumerate(constraints.facilitators):
            require({y(f, t): 1.0 for t in range(tables)}, 0, 1)
            for u in sorted({unit_of[m] for m in facilitator.keep_apart if m in unit_of}):
                for t in range(tables):
                    require({x(u, t): 1.0, y(f, t): 1.0}, 0, 1)
    # Sparse: each row names a handful of variables, and a long keep-apart file makes rows by the thousand.
    matrix = coo_array(
        (
            [value for coefficients in rows for value in coefficients.values()],
            (
                [r for r, coefficients in enumerate(rows) for _ in coefficients],
                [column for coefficients in rows for column in coefficients],
            ),
        ),
        shape=(len(rows), size),
    )
    high = np.ones(size)
    high[: n_units * tables] = open_to.reshape(-1)
    result = milp(
        np.zeros(size),
        constraints=LinearConstraint(matrix, lower, upper),
        integrality=np.ones(size),
        bounds=Bounds(np.zeros(size), high),
    )
    if result.status != 0:
        return None
    chosen = np.round(result.x).astype(int)
    where = chosen[: n_units * tables].reshape(n_units, tables).argmax(axis=1)
    facilitators: list[str | None] = [None] * tables
    for f, t in zip(*np.nonzero(chosen[n_units * tables : z0].reshape(n_facilitators, tables)), strict=True):
        facilitators[int(t)] = constraints.facilitators[int(f)].id
    return {ids[m]: int(where[u]) for u, unit in enumerate(units) for m in unit}, facilitators


def session_seatable(
    members: Sequence[Member], settings: AllocationSettings, constraints: Constraints, session: int
) -> bool:
    """Whether some seating of session ``session`` (1-based) meets every rule, as the engine reads them."""
    return exact_seating(members, settings, constraints, session) is not None


def unseatable_session(
    members: Sequence[Member], settings: AllocationSettings, constraints: Constraints
) -> int | None:
    """The first session no seating can honour every rule of, or None when every one can be seated."""
    for session in range(1, settings.sessions + 1):
        if not session_seatable(members, settings, constraints, session):
            return session
    return None


def smallest_conflict(
    members: Sequence[Member],
    settings: AllocationSettings,
    constraints: Constraints,
) -> tuple[int, list[Rule], bool] | None:
    """A session and a set of rules no seating of it can honour, every one of which is needed for that
    (without any one of them the session can be seated), and True; False instead when SHRINK_WORK ran
    out before every rule could be tried (the rules still conflict, but some may not be needed). None when
    every session can be seated with all the rules."""
    session = unseatable_session(members, settings, constraints)
    if session is None:
        return None
    checks_left = SHRINK_WORK // (len(members) * settings.tables)
    rules = [  # the rules for other sessions play no part
        rule
        for rule in rules_of(constraints)
        if not (rule.kind == "absent" and rule.session != session)
        and not (rule.kind == "fixed" and constraints.fixed[rule.index].session != session)
    ]

    def conflict(trial: list[Rule]) -> bool:
        return not session_seatable(members, settings, only(constraints, trial), session)

    # Leave out chunks of rules while the rest still conflict, halving the chunks down to single rules.
    chunk = max(1, len(rules) // 2)
    while True:
        start = 0
        while start < len(rules):
            if checks_left == 0:
                return session, rules, False
            checks_left -= 1
            trial = rules[:start] + rules[start + chunk :]
            if conflict(trial):
                rules = trial
            else:
                start += chunk
        if chunk == 1:
            return session, rules, True
        chunk = max(1, chunk // 2)


def conflict_error(
    members: Sequence[Member],
    settings: AllocationSettings,
    constraints: Constraints,
    problems: Sequence[str],
    explained: bool = False,
) -> InfeasibleConstraintsError:
    """The error for a plan that failed with ``problems``: why it failed when the checks before the search
    could say (``explained``), else the rules the best seating broke, which name no cause. Either way it
    adds the fewest rules found that cannot all hold, naming where each was given, so the officer knows
    which rows to change; when every session can be seated after all, it says the search missed it."""
    found = smallest_conflict(members, settings, constraints)
    if found is None or not found[1]:
        if explained:
            return InfeasibleConstraintsError(problems)
        return InfeasibleConstraintsError(
            [
                "the search found no seating that meets every rule, though one exists; another seed or a "
                "longer search (a larger effort) may find it. The best seating it found breaks these",
                *problems,
            ]
        )
    session, rules, complete = found
    described = [describe(rule, constraints) for rule in rules]
    if len(rules) == 1:  # a rule for a session already run, say, which the past contradicts
        lead = f"in session {session} this rule cannot be met; without it a seating exists:"
    else:
        lead = f"in session {session} these {len(rules)} rules cannot all be met together" + (
            "; without any one of them a seating exists:"
            if complete
            else " (the search for the fewest stopped before trying each one, so some of them may not "
            "matter):"
        )
    return InfeasibleConstraintsError(
        problems if explained else [],
        [lead, *described],
    )
