"""Interchangeable volunteers collapse into *types*, which keeps every LP and MILP small.

Two volunteers with the same value for every feature, neither of them already selected nor sharing a
household with another volunteer, can be swapped in any panel without breaking a quota, so every
fair objective (LEXIMIN, MAXIMIN, NASH, GOLDILOCKS) gives them the same probability. The algorithms
therefore choose *how many* of each type sit on a panel; ``expand`` turns those counts back into
concrete panels that give every member of a type exactly the type's probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np

from ..types import Instance, Panel, SelectionError


@dataclass(frozen=True)
class TypeModel:
    """The selection problem over types.

    ``members[t]`` are the ids of type ``t`` (sorted); ``quota_types[q]`` the types counting towards
    ``instance.quotas[q]``; ``households`` the type groups of which at most one may be chosen;
    ``forced[t]`` marks already-selected people (always singleton types).
    """

    instance: Instance
    members: tuple[tuple[str, ...], ...]
    quota_types: tuple[np.ndarray, ...]
    households: tuple[tuple[int, ...], ...]
    forced: np.ndarray

    @property
    def sizes(self) -> np.ndarray:
        return np.array([len(m) for m in self.members], dtype=np.int64)

    @property
    def num_types(self) -> int:
        return len(self.members)

    def rules(self) -> PanelBounds:
        """The bounds every valid panel meets: forced types in full, quotas, at most one per household."""
        sizes = self.sizes
        return PanelBounds(
            count_low=np.where(self.forced, sizes, 0),
            count_high=sizes,
            quota_low=np.array([q.min for q in self.instance.quotas], dtype=np.int64),
            quota_high=np.array([q.max for q in self.instance.quotas], dtype=np.int64),
            household_low=np.zeros(len(self.households), dtype=np.int64),
        )


@dataclass(frozen=True)
class PanelBounds:
    """Bounds on a panel's type counts, its quota totals and its household totals (the upper one is 1).

    ``TypeModel.rules`` gives the rules themselves; tighter bounds describe a face of the panel polytope,
    the only panels a given marginal vector can be split into.
    """

    count_low: np.ndarray
    count_high: np.ndarray
    quota_low: np.ndarray
    quota_high: np.ndarray
    household_low: np.ndarray


def build_type_model(instance: Instance, *, merge_identical: bool = True) -> TypeModel:
    """Group the pool into types (deterministically: the result does not depend on row order)."""
    people = sorted(instance.people, key=lambda p: p.id)
    known = {p.id for p in people}
    unknown = sorted(instance.already_selected - known)
    if unknown:
        raise SelectionError(f"Already-selected ids not in the pool: {', '.join(unknown)}.")
    shared = {pid for ids in instance.households().values() for pid in ids}
    quota_index = {(q.feature, q.value): j for j, q in enumerate(instance.quotas)}
    features = list(instance.features)

    type_of_key: dict[object, int] = {}
    members: list[list[str]] = []
    quotas_of_type: list[list[int]] = []
    forced: list[bool] = []
    for person in people:
        held = [
            quota_index[(f, person.features[f])]
            for f in features
            if (f, person.features.get(f)) in quota_index
        ]
        is_forced = person.id in instance.already_selected
        key: object = (
            tuple(held) if merge_identical and not is_forced and person.id not in shared else person.id
        )
        if key not in type_of_key:
            type_of_key[key] = len(members)
            members.append([])
            quotas_of_type.append(held)
            forced.append(is_forced)
        members[type_of_key[key]].append(person.id)

    quota_types = [[] for _ in instance.quotas]  # type: list[list[int]]
    for t, held in enumerate(quotas_of_type):
        for j in held:
            quota_types[j].append(t)
    type_of_person = {pid: t for t, ids in enumerate(members) for pid in ids}
    households = tuple(
        tuple(type_of_person[pid] for pid in sorted(ids)) for _, ids in sorted(instance.households().items())
    )
    return TypeModel(
        instance=instance,
        members=tuple(tuple(m) for m in members),
        quota_types=tuple(np.array(q, dtype=np.int64) for q in quota_types),
        households=households,
        forced=np.array(forced, dtype=bool),
    )


def expand(model: TypeModel, type_panels: list[np.ndarray], probabilities: list[float]) -> dict[Panel, float]:
    """Concrete panels whose per-person marginals equal the per-type marginals of the type panels.

    Within one type panel, each partially chosen type picks its ``c`` of ``n`` members by systematic
    sampling with a shared uniform offset ``u``: members ``floor((u + j) * n / c)``, ``j < c``. Every
    member is then chosen with probability exactly ``c / n``, and only the few intervals of ``u``
    between breakpoints (multiples of ``gcd(n, c) / n``) give different panels.
    """
    sizes = model.sizes
    ids = np.array([pid for members in model.members for pid in members], dtype=object)
    # Panels list their ids in sorted order: sort the ids once and each panel's positions in that order.
    order = np.argsort(ids, kind="stable")
    sorted_ids, rank = ids[order], np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out: dict[Panel, float] = {}
    for counts, probability in zip(type_panels, probabilities, strict=True):
        chosen = np.flatnonzero(counts)
        partial = [int(t) for t in chosen if counts[t] < sizes[t]]
        everyone_of = [np.arange(first[t], first[t] + sizes[t]) for t in chosen if counts[t] == sizes[t]]
        full = np.concatenate(everyone_of) if everyone_of else np.empty(0, dtype=np.int64)
        steps = {int(sizes[t]) // gcd(int(sizes[t]), int(counts[t])) for t in partial}
        breakpoints = _breakpoints(steps)
        lengths = np.diff(breakpoints)
        offsets = breakpoints[:-1] + lengths / 2
        columns = [np.broadcast_to(full.astype(np.int64), (len(offsets), len(full)))]
        for t in partial:
            n, c = int(sizes[t]), int(counts[t])
            columns.append(
                first[t] + np.floor((offsets[:, None] + np.arange(c)[None, :]) * n / c).astype(np.int64)
            )
        members = np.sort(rank[np.concatenate(columns, axis=1)], axis=1)
        for row, length in zip(members, lengths, strict=True):
            panel = tuple(sorted_ids[row].tolist())
            out[panel] = out.get(panel, 0.0) + probability * float(length)
    return out


def _breakpoints(steps: set[int]) -> np.ndarray:
    """0, 1 and every ``i / d`` for ``d`` in ``steps``, sorted and without repeats.

    Floats are exact enough here: IEEE division rounds correctly, so equal fractions give equal floats,
    and two different fractions with denominators up to the pool size differ far above rounding error.
    """
    parts = [np.arange(d, dtype=np.float64) / d for d in steps]
    return np.unique(np.concatenate([np.zeros(1), np.ones(1), *parts]))
