"""Explain infeasible quotas and suggest the smallest change that fixes them.

"No panel exists" is useless to a selection officer; they need to know which few quotas clash, in
words with counts, and what minimal change to propose to the oversight group. We find an irreducible
infeasible subset of quota bounds with a deletion filter (each test is a small feasibility MILP in
HiGHS) and the smallest total relaxation with one more MILP that respects ``min_flex``/``max_flex``.

Each MILP may take at most ``SOLVE_TIME_LIMIT`` seconds. A solve it cuts short decides nothing: it is
never read as "a panel exists" (``is_feasible`` returns None, ``diagnose`` raises
``QuotaCheckUndecided``) nor as "no change helps" (the diagnosis says the change was not found in time).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import highspy
import numpy as np

from civicforum.highs import quiet_highs
from civicforum.selection.types import Instance, Quota, SelectionError
from civicforum.wording import counted, plural

SOLVE_TIME_LIMIT = 60.0
INFINITY = highspy.kHighsInf


class QuotaCheckUndecided(SelectionError):
    """The solver could not tell within ``seconds`` whether any panel meets the quotas (or, from
    ``minimal_relaxation``, which smallest change makes one possible)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(
            f"The check of the quotas could not tell within {seconds:g} seconds whether any panel meets "
            "them all."
        )


@dataclass(frozen=True)
class QuotaBound:
    """One side of one quota: at least (``min``) or at most (``max``) ``limit`` members with the value."""

    feature: str
    value: str
    side: Literal["min", "max"]
    limit: int

    def __str__(self) -> str:
        words = "at least" if self.side == "min" else "at most"
        return f"{self.feature} {self.value}: {words} {self.limit}"


@dataclass(frozen=True)
class QuotaChange:
    """A suggested new range for one quota."""

    feature: str
    value: str
    old_min: int
    old_max: int
    new_min: int
    new_max: int

    @property
    def size(self) -> int:
        return (self.old_min - self.new_min) + (self.new_max - self.old_max)

    def __str__(self) -> str:
        return f"{self.feature} {self.value}: {self.describe()}"

    def describe(self, done: bool = False) -> str:
        """The change in words: as advice ('raise the maximum'), or ``done`` ('maximum raised')."""
        parts = []
        if self.new_min != self.old_min:
            lowered = "minimum lowered" if done else "lower the minimum"
            parts.append(f"{lowered} from {self.old_min} to {self.new_min}")
        if self.new_max != self.old_max:
            raised = "maximum raised" if done else "raise the maximum"
            parts.append(f"{raised} from {self.old_max} to {self.new_max}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Diagnosis:
    """Why no panel exists, and the smallest fix (``relaxation`` None: no fix within the flex limits, or,
    with ``relaxation_undecided``, none found within ``SOLVE_TIME_LIMIT`` seconds)."""

    conflict: tuple[QuotaBound, ...]
    explanation: tuple[str, ...]
    relaxation: tuple[QuotaChange, ...] | None
    relaxation_undecided: bool = False

    def text(self) -> str:
        lines = ["No panel can meet all the quotas.", *self.explanation]
        if not self.conflict:  # impossible even without quotas: their flex limits are beside the point
            lines.append("No change to the quotas can make a panel possible.")
        elif self.relaxation_undecided:
            lines.append(
                "The smallest change to the quotas that makes a panel possible was not found within "
                f"{SOLVE_TIME_LIMIT:g} seconds; change the quotas named above, then check again."
            )
        elif self.relaxation is None:
            lines.append(
                "No change to the quotas within their min_flex/max_flex limits makes a panel possible."
            )
        elif self.relaxation:
            total = sum(change.size for change in self.relaxation)
            lines.append(f"Smallest change that makes a panel possible (total {total}):")
            lines.extend(f"  - {change}" for change in self.relaxation)
        return "\n".join(lines)


class _Model:
    """The feasibility MILP: ``panel_size`` people, one per household, forced members in, within quotas.

    With ``relax`` each quota gets integer slack variables (bounded by its flex limits) whose total is
    minimised; otherwise quota bounds are rows that the deletion filter switches off and on.
    """

    def __init__(self, instance: Instance, relax: bool = False):
        self.instance = instance
        self.highs = quiet_highs()
        self.highs.setOptionValue("time_limit", SOLVE_TIME_LIMIT)
        people = instance.people
        n = len(people)
        position = {person.id: index for index, person in enumerate(people)}
        lower = np.array([1.0 if p.id in instance.already_selected else 0.0 for p in people])
        self._add_columns(np.zeros(n), lower, np.ones(n))
        rows: list[tuple[list[int], float, float]] = [
            (list(range(n)), instance.panel_size, instance.panel_size)
        ]
        for ids in instance.households().values():
            rows.append(([position[i] for i in ids], -INFINITY, 1.0))
        self.bound_rows: dict[QuotaBound, int] = {}
        members = quota_members(instance)
        for index, quota in enumerate(instance.quotas):
            columns = [position[i] for i in members[index]]
            if relax:
                slack = n + 2 * index
                rows.append((columns + [slack], quota.min, INFINITY))
                rows.append((columns + [slack + 1], -INFINITY, quota.max))
            else:
                self.bound_rows[QuotaBound(quota.feature, quota.value, "min", quota.min)] = len(rows)
                rows.append((columns, quota.min, INFINITY))
                self.bound_rows[QuotaBound(quota.feature, quota.value, "max", quota.max)] = len(rows)
                rows.append((columns, -INFINITY, quota.max))
        if relax:
            self._add_slacks(instance.quotas, instance.panel_size)
        for columns, low, high in rows:
            coefficients = np.ones(len(columns))
            if relax and len(columns) and columns[-1] >= n and high < INFINITY:
                coefficients[-1] = -1.0  # max row: sum - slack <= max
            self.highs.addRows(
                1,
                np.array([low], dtype=float),
                np.array([high], dtype=float),
                len(columns),
                np.array([0], dtype=np.int32),
                np.array(columns, dtype=np.int32),
                coefficients,
            )
        self.limits = {bound: self._row_limits(bound) for bound in self.bound_rows}

    def _add_columns(self, costs: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        start = self.highs.getNumCol()
        count = len(costs)
        self.highs.addCols(
            count, costs, lower, upper, 0, np.array([], np.int32), np.array([], np.int32), np.array([])
        )
        self.highs.changeColsIntegrality(
            count, np.arange(start, start + count, dtype=np.int32), np.ones(count, dtype=np.uint8)
        )

    def _add_slacks(self, quotas: Sequence[Quota], panel_size: int) -> None:
        """Slack for lowering each min (down to min_flex) and raising each max (up to max_flex)."""
        upper = []
        for quota in quotas:
            upper.append(quota.min - (quota.min_flex if quota.min_flex is not None else 0))
            upper.append(max((quota.max_flex if quota.max_flex is not None else panel_size) - quota.max, 0))
        self._add_columns(np.ones(len(upper)), np.zeros(len(upper)), np.array(upper, dtype=float))

    def _row_limits(self, bound: QuotaBound) -> tuple[float, float]:
        return (bound.limit, INFINITY) if bound.side == "min" else (-INFINITY, bound.limit)

    def enable(self, bounds: Iterable[QuotaBound], on: bool) -> None:
        for bound in bounds:
            low, high = self.limits[bound] if on else (-INFINITY, INFINITY)
            self.highs.changeRowBounds(self.bound_rows[bound], low, high)

    def solve(self) -> bool | None:
        """True: a panel exists; False: proven impossible; None: not decided within the time limit."""
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return False
        if status == highspy.HighsModelStatus.kOptimal:
            return True
        return None

    def values(self) -> np.ndarray:
        return np.round(np.array(self.highs.getSolution().col_value))


def quota_members(instance: Instance) -> list[list[str]]:
    """For each quota (in order), the ids of the volunteers holding its value."""
    index = {(q.feature, q.value): i for i, q in enumerate(instance.quotas)}
    members: list[list[str]] = [[] for _ in instance.quotas]
    for person in instance.people:
        for feature, value in person.features.items():
            if (feature, value) in index:
                members[index[feature, value]].append(person.id)
    return members


def is_feasible(instance: Instance) -> bool | None:
    """Whether some panel meets every quota, the household rule and the already-selected members; None
    when the solver could not tell within ``SOLVE_TIME_LIMIT`` seconds (which is not 'feasible')."""
    return _Model(instance).solve()


def find_conflict(instance: Instance) -> tuple[QuotaBound, ...] | None:
    """An irreducible set of quota bounds that cannot hold together (empty: impossible even without
    quotas; None: a panel exists). Raises ``QuotaCheckUndecided`` when the first check, whether a panel
    exists, is cut short by the time limit.

    Features are tried one at a time first, so the common clashes (one feature's quotas against the
    panel size or the pool) come out as short, single-feature explanations. A later check cut short
    counts as 'a panel exists', so the set still cannot hold together but may hold a bound more than the
    fewest.
    """
    model = _Model(instance)
    feasible = model.solve()
    if feasible is None:
        raise QuotaCheckUndecided(SOLVE_TIME_LIMIT)
    if feasible:
        return None
    every_bound = list(model.bound_rows)
    model.enable(every_bound, False)
    if model.solve() is False:
        return ()
    for feature in instance.features:
        candidate = [bound for bound in every_bound if bound.feature == feature]
        model.enable(candidate, True)
        if model.solve() is False:
            return _deletion_filter(model, candidate)
        model.enable(candidate, False)
    model.enable(every_bound, True)
    return _deletion_filter(model, every_bound)


def _deletion_filter(model: _Model, bounds: list[QuotaBound]) -> tuple[QuotaBound, ...]:
    """Drop each bound whose removal keeps the model infeasible; what remains is irreducible."""
    kept = list(bounds)
    for bound in bounds:
        model.enable([bound], False)
        if model.solve() is False:
            kept.remove(bound)
        else:
            model.enable([bound], True)
    return tuple(kept)


def minimal_relaxation(instance: Instance) -> tuple[QuotaChange, ...] | None:
    """The quota changes of smallest total size (within min_flex/max_flex) that make a panel possible;
    None when no change within those limits does. Raises ``QuotaCheckUndecided`` when the solver found
    neither the smallest change nor that there is none within ``SOLVE_TIME_LIMIT`` seconds."""
    model = _Model(instance, relax=True)
    solved = model.solve()
    if solved is None:
        raise QuotaCheckUndecided(SOLVE_TIME_LIMIT)
    if not solved:
        return None
    values = model.values()
    n = len(instance.people)
    changes = []
    for index, quota in enumerate(instance.quotas):
        lower_by, raise_by = int(values[n + 2 * index]), int(values[n + 2 * index + 1])
        if lower_by or raise_by:
            changes.append(
                QuotaChange(
                    quota.feature,
                    quota.value,
                    quota.min,
                    quota.max,
                    quota.min - lower_by,
                    quota.max + raise_by,
                )
            )
    return tuple(changes)


def apply_relaxation(instance: Instance, changes: Iterable[QuotaChange]) -> Instance:
    """The instance with the suggested quota ranges in place of the old ones."""
    new_range = {(c.feature, c.value): (c.new_min, c.new_max) for c in changes}
    quotas = tuple(
        replace(q, min=new_range[q.feature, q.value][0], max=new_range[q.feature, q.value][1])
        if (q.feature, q.value) in new_range
        else q
        for q in instance.quotas
    )
    return replace(instance, quotas=quotas)


def diagnose(instance: Instance) -> Diagnosis | None:
    """None when a panel exists; otherwise which quotas clash, in words, and the smallest fix. Raises
    ``QuotaCheckUndecided`` when the solver could not tell within its time limit whether a panel exists."""
    conflict = find_conflict(instance)
    if conflict is None:
        return None
    explanation = explain(instance, conflict)
    try:
        relaxation = minimal_relaxation(instance)
    except QuotaCheckUndecided:
        return Diagnosis(conflict, explanation, None, relaxation_undecided=True)
    return Diagnosis(conflict, explanation, relaxation)


def explain(instance: Instance, conflict: Sequence[QuotaBound]) -> tuple[str, ...]:
    """Plain-English sentences, with counts, for why ``conflict`` cannot hold in this pool."""
    k = instance.panel_size
    members = dict(zip(((q.feature, q.value) for q in instance.quotas), quota_members(instance), strict=True))
    household_of = {p.id: p.household or f"person:{p.id}" for p in instance.people}
    if not conflict:
        return (_explain_without_quotas(instance, household_of),)
    if len(conflict) == 1:
        return (
            _explain_single(
                instance, conflict[0], members[conflict[0].feature, conflict[0].value], household_of
            ),
        )
    features = {bound.feature for bound in conflict}
    if len(conflict) == 2 and len({(bound.feature, bound.value) for bound in conflict}) == 1:
        low, high = sorted(conflict, key=lambda bound: bound.side != "min")
        return (f"{low.feature} {low.value} needs at least {low.limit} but allows at most {high.limit}.",)
    sides = {bound.side for bound in conflict}
    total = sum(bound.limit for bound in conflict)
    if len(features) == 1 and sides == {"max"}:
        return (
            f"The quotas for {conflict[0].feature} add up to at most {total} but the panel has {k} places.",
        )
    if len(features) == 1 and sides == {"min"}:
        return (
            f"The quotas for {conflict[0].feature} add up to at least {total} "
            f"but the panel has only {k} places.",
        )
    lines = [f"These quotas cannot all be met together in a panel of {k} from this pool:"]
    for bound in conflict:
        count = len(members[bound.feature, bound.value])
        lines.append(
            f"  - {bound} ({count} {plural(count, 'volunteer', 'volunteers')} have "
            f"{bound.feature} {bound.value})"
        )
    return tuple(lines)


def _explain_single(
    instance: Instance, bound: QuotaBound, holders: list[str], household_of: dict[str, str]
) -> str:
    label = f"{bound.feature} {bound.value}"
    forced = [i for i in holders if i in instance.already_selected]
    if bound.side == "max":
        if len(forced) > bound.limit:
            return f"{label} allows at most {bound.limit} but {len(forced)} already-selected members have it."
        others = len(instance.people) - len(holders)
        return (
            f"{label} allows at most {bound.limit}, so at least {instance.panel_size - bound.limit} members "
            f"must come from the other volunteers, but only {others} "
            f"{plural(others, 'volunteer', 'volunteers')} (or fewer households) "
            f"{plural(others, 'is', 'are')} not {label}."
        )
    households = len({household_of[i] for i in holders})
    if len(holders) < bound.limit:
        volunteers = plural(len(holders), "volunteer has", "volunteers have")
        return f"{label} needs at least {bound.limit} but only {len(holders)} {volunteers} {label}."
    taken = len(instance.already_selected.difference(holders))
    if bound.limit > instance.panel_size - taken:
        places = f"{instance.panel_size} {plural(instance.panel_size, 'place', 'places')}"
        if taken:
            places += f", {taken} of them taken by already-selected members who do not have {label}"
        return f"{label} needs at least {bound.limit} but the panel has only {places}."
    return (
        f"{label} needs at least {bound.limit}; {len(holders)} volunteers have {label} but they live in only "
        f"{households} households, and only one person per household can be on the panel."
    )


def _explain_without_quotas(instance: Instance, household_of: dict[str, str]) -> str:
    k = instance.panel_size
    forced = instance.already_selected
    households = Counter(household_of[i] for i in forced)
    shared = [
        sorted(i for i in forced if household_of[i] == home) for home in households if households[home] > 1
    ]
    if shared:  # named, or the officer has to search the whole pool's addresses for them
        homes = "; ".join(", ".join(ids[:-1]) + f" and {ids[-1]}" for ids in sorted(shared))
        return (
            f"Already-selected members live in the same household ({homes}); only one per household may be "
            "on the panel: keep one of each, or correct their addresses if they live apart."
        )
    if len(forced) > k:
        return (
            f"There are {len(forced)} already-selected members but the panel has only {k} places; make the "
            f"panel at least {len(forced)} places, or keep fewer members."
        )
    total = len(set(household_of.values()))
    return (
        f"The panel has {k} places but the pool has only {counted(total, 'household', 'households')} (one "
        f"person per household); make the panel at most {counted(total, 'place', 'places')}, or recruit more "
        "households."
    )
