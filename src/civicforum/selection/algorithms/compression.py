"""Interchangeable volunteers collapse into *types*, which keeps every LP and MILP small.

Two volunteers with the same value for every feature, neither of them already selected nor sharing a
household with another volunteer, can be swapped in any panel without breaking a quota, so every
fair objective (LEXIMIN, MAXIMIN, NASH, GOLDILOCKS) gives them the same probability. The algorithms
therefore choose *how many* of each type sit on a panel; ``expand`` turns those counts back into
concrete panels that give every member of a type exactly the type's probability.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

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

    Members of a type need equal chances over the whole distribution, not within each type panel
    (splitting every type panel evenly would turn it into hundreds of concrete panels). So each type
    panel takes whole members of every type it only partly fills (``_share_type``), and only the few
    pieces that even out the members' totals split a type panel in two or three.
    """
    sizes = model.sizes
    weights = np.asarray(probabilities, dtype=float)
    counts = np.array(type_panels, dtype=np.int64).reshape(len(type_panels), model.num_types)
    partial = (counts > 0) & (counts < sizes)
    shares = {
        int(t): _share_type(int(sizes[t]), counts[:, t], weights, np.flatnonzero(partial[:, t]))
        for t in np.flatnonzero(partial.any(axis=0))
    }
    ids = np.array([pid for members in model.members for pid in members], dtype=object)
    # Panels list their ids in sorted order: sort the ids once and each panel's positions in that order.
    order = np.argsort(ids, kind="stable")
    sorted_ids, rank = ids[order], np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out: dict[Panel, float] = {}
    for j, (row, weight) in enumerate(zip(counts, weights, strict=True)):
        fixed = [np.arange(first[t], first[t] + sizes[t]) for t in np.flatnonzero(row == sizes)]
        split = []
        for t in np.flatnonzero(partial[j]):
            parts = shares[int(t)][j]
            if len(parts) == 1:
                fixed.append(first[t] + parts[0][1])
            else:
                split.append((first[t], parts, np.cumsum([mass for mass, _ in parts])))
        cuts = np.unique(np.concatenate([np.zeros(1), *[ends[:-1] for _, _, ends in split], [weight]]))
        for low, high in itertools.pairwise(cuts):
            middle = (low + high) / 2
            chosen = [
                offset + parts[min(int(np.searchsorted(ends, middle, side="right")), len(parts) - 1)][1]
                for offset, parts, ends in split
            ]
            members = np.sort(rank[np.concatenate([*fixed, *chosen]).astype(np.int64)])
            panel = tuple(sorted_ids[members].tolist())
            out[panel] = out.get(panel, 0.0) + float(high - low)
    return out


def _share_type(
    size: int, counts: np.ndarray, weights: np.ndarray, panels: np.ndarray
) -> dict[int, list[tuple[float, np.ndarray]]]:
    """Which members of one type each panel in ``panels`` takes: pieces (mass, member positions) whose
    masses add up to the panel's weight, and after which every member's total is the same.

    Heaviest panels first, each takes the members least used so far; what is left uneven (at most one
    panel's weight per member) is then moved, a piece at a time, from the most used member to the least
    used one, in a piece that holds the first and not the second.
    """
    fills = np.zeros(size)
    pieces: dict[int, list[list]] = {}
    holders: list[set[int]] = [set() for _ in range(size)]
    for j in sorted(panels.tolist(), key=lambda j: (-weights[j], j)):
        chosen = np.argsort(fills, kind="stable")[: counts[j]]
        fills[chosen] += weights[j]
        pieces[j] = [[float(weights[j]), chosen]]
        for member in chosen.tolist():
            holders[member].add(j)
    target = float(fills.sum()) / size
    tolerance = 1e-13 * max(1.0, target)
    while True:
        over, under = int(np.argmax(fills)), int(np.argmin(fills))
        need = min(fills[over] - target, target - fills[under])
        if need <= tolerance:
            break
        j, piece = next(
            (j, piece)
            for j in sorted(holders[over], key=lambda j: (-weights[j], j))
            for piece in pieces[j]
            if over in piece[1] and under not in piece[1]
        )
        swapped = np.where(piece[1] == over, under, piece[1])
        moved = need if piece[0] - need > tolerance else piece[0]
        if moved < piece[0]:
            piece[0] -= moved
            pieces[j].append([moved, swapped])
        else:
            piece[1] = swapped
        holders[under].add(j)
        fills[over] -= moved
        fills[under] += moved
    return {j: [(float(mass), members) for mass, members in parts] for j, parts in pieces.items()}
