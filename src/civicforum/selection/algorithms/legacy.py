"""LEGACY: the greedy one-person-at-a-time draw councils used before fair algorithms.

Each step takes the quota whose unmet minimum is largest relative to the volunteers still available
for it (the "most constrained" value), draws a random available volunteer holding it, removes their
household, anyone a filled maximum now excludes and, when a feature's unmet minimums need every
remaining seat, anyone who would not help meet them; and repeats; once every minimum is met it draws
uniformly from whoever is still available. A run that gets stuck restarts. Its selection
probabilities are not designed, only observed: we estimate them from ``legacy_runs`` seeded runs and
report that empirical distribution, which shows how close to zero some volunteers' chances fall.
"""

from __future__ import annotations

import random

import numpy as np

from ..types import Instance, Panel, ProgressCallback, SelectionError


class _Pool:
    """The instance as arrays: who holds which quota value, and who lives with whom."""

    def __init__(self, instance: Instance):
        people = sorted(instance.people, key=lambda p: p.id)
        self.ids = [p.id for p in people]
        self.quotas = instance.quotas
        self.panel_size = instance.panel_size
        self.holds = np.array(
            [[p.features.get(q.feature) == q.value for q in instance.quotas] for p in people], dtype=bool
        ).reshape(len(people), len(instance.quotas))
        self.holders = [np.flatnonzero(self.holds[:, j]) for j in range(len(instance.quotas))]
        households: dict[str, list[int]] = {}
        for i, p in enumerate(people):
            if p.household is not None:
                households.setdefault(p.household, []).append(i)
        self.housemates = [
            households.get(p.household, [i]) if p.household else [i] for i, p in enumerate(people)
        ]
        self.forced = [i for i, p in enumerate(people) if p.id in instance.already_selected]
        self.minimum = np.array([q.min for q in instance.quotas])
        features: dict[str, list[int]] = {}
        for j, q in enumerate(instance.quotas):
            features.setdefault(q.feature, []).append(j)
        self.features = [np.array(columns) for columns in features.values()]
        self.maximum = np.array([q.max for q in instance.quotas])


def _draw_once(pool: _Pool, rng: random.Random) -> Panel | None:
    alive = np.ones(len(pool.ids), dtype=bool)
    available = pool.holds.sum(axis=0).astype(np.int64)
    counts = np.zeros(len(pool.quotas), dtype=np.int64)
    chosen: list[int] = []

    def remove(person: int) -> None:
        if alive[person]:
            alive[person] = False
            available[:] -= pool.holds[person]

    def close_full_quotas(quotas: np.ndarray) -> None:
        for j in np.flatnonzero(quotas & (counts >= pool.maximum)):
            for other in pool.holders[j]:
                remove(int(other))

    def keep_only_the_needed_when_seats_run_short() -> None:
        seats = pool.panel_size - len(chosen)
        for columns in pool.features:
            short = np.maximum(pool.minimum[columns] - counts[columns], 0)
            if short.sum() >= seats:
                useless = alive & ~(pool.holds[:, columns] @ (short > 0))
                for other in np.flatnonzero(useless):
                    remove(int(other))

    def take(person: int) -> None:
        chosen.append(person)
        counts[:] += pool.holds[person]
        for mate in pool.housemates[person]:
            remove(mate)
        close_full_quotas(pool.holds[person])
        keep_only_the_needed_when_seats_run_short()

    for person in pool.forced:
        take(person)
    close_full_quotas(np.ones(len(pool.quotas), dtype=bool))
    while len(chosen) < pool.panel_size:
        shortfall = pool.minimum - counts
        if np.any(shortfall > available):
            return None
        needy = np.flatnonzero(shortfall > 0)
        if len(needy):
            urgency = shortfall[needy] / available[needy]
            candidates = pool.holders[int(needy[int(np.argmax(urgency))])]
        else:
            candidates = np.arange(len(pool.ids))
        living = candidates[alive[candidates]]
        if len(living) == 0:
            return None
        take(int(living[rng.randrange(len(living))]))
    if np.any(counts < pool.minimum):
        return None
    return tuple(sorted(pool.ids[i] for i in chosen))


def legacy(
    instance: Instance, runs: int, attempts: int, seed: int, progress: ProgressCallback
) -> tuple[list[Panel], list[float]]:
    """Empirical distribution of ``runs`` greedy draws (each with up to ``attempts`` restarts)."""
    pool = _Pool(instance)
    rng = random.Random(seed)
    tally: dict[Panel, int] = {}
    for run in range(runs):
        for _ in range(attempts):
            panel = _draw_once(pool, rng)
            if panel is not None:
                tally[panel] = tally.get(panel, 0) + 1
                break
        else:
            raise SelectionError(
                f"The legacy greedy method got stuck {attempts} times in a row although a panel exists; "
                "use a fair algorithm such as leximin instead."
            )
        if run % 100 == 0:
            progress(run / runs, f"Legacy: {run} of {runs} draws")
    panels = sorted(tally, key=lambda p: (-tally[p], p))
    return panels, [tally[p] / runs for p in panels]
