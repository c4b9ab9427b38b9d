"""Cheap panels: improve or repair a known panel by swapping one member at a time.

Most pricing rounds of column generation only need *some* panel that beats the LP's threshold, not
the best one. Starting from the best panels already in the LP, a steepest-ascent search over
one-for-one swaps of types (kept within every quota and household) usually finds one in
milliseconds; the exact MILP is then needed only to prove that none exists. Likewise the peeling of
the relaxation's fair point needs, at each step, *some* panel on a slightly smaller face: the last
panel repaired by a swap or two (``SwapSearch.repair``) usually is one, and a rounding of the point
itself, repaired, usually is when it is not (``SwapSearch.near``, which also turns the LP relaxation's
best fractional panel into a pricing candidate).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .compression import PanelBounds, TypeModel

_SHORTLIST = 48
# Fractional counts within this of a whole number count as whole when rounding.
_WHOLE = 1e-6


class SwapSearch:
    """Steepest-ascent one-swap local search over type counts.

    A swap of one member of type ``s`` for one of type ``t`` only moves the quotas of the features on
    which they differ, one down and one up, so its feasibility is a few boolean lookups per feature.
    ``bounds`` (default: the rules) may confine the search to a face of the panel polytope; the lower
    household bounds are not enforced, which at worst yields a valid panel outside that face.
    """

    def __init__(self, model: TypeModel, bounds: PanelBounds | None = None):
        quotas = model.instance.quotas
        features = list(model.instance.features)
        unconstrained = len(quotas)  # stands for a value no quota mentions
        self._value = np.full((model.num_types, len(features)), unconstrained, dtype=np.int64)
        for j, (quota, types) in enumerate(zip(quotas, model.quota_types, strict=True)):
            self._value[types, features.index(quota.feature)] = j
        self._incidence = np.zeros((len(quotas), model.num_types), dtype=np.int64)
        for j, types in enumerate(model.quota_types):
            self._incidence[j, types] = 1
        self._household = np.full(model.num_types, -1, dtype=np.int64)
        for g, group in enumerate(model.households):
            self._household[list(group)] = g
        self._households = len(model.households)
        members = self._household >= 0
        self._homes = sparse.csr_matrix(
            (np.ones(int(members.sum())), (self._household[members], np.flatnonzero(members))),
            shape=(self._households, model.num_types),
        )
        self._membership = self._incidence.T.astype(float)
        self.restrict(bounds or model.rules())

    def restrict(self, bounds: PanelBounds) -> None:
        """From now on, keep panels within ``bounds`` (lower household bounds aside)."""
        self.bounds = bounds

    def totals(self, counts: np.ndarray) -> np.ndarray:
        """How many members hold each quota's value."""
        return self._incidence @ counts

    def improve(self, counts: np.ndarray, weights: np.ndarray, max_steps: int = 50) -> np.ndarray:
        """A local optimum reached from ``counts`` (a valid panel) by improving swaps.

        Each step first looks only at the most valuable entering types (cheap, and usually where the
        best swap is) and widens to all of them only when none of those can enter.
        """
        counts = counts.copy()
        for _ in range(max_steps):
            leaving = np.flatnonzero(counts > self.bounds.count_low)
            entering = np.flatnonzero(counts < self.bounds.count_high)
            if len(leaving) == 0 or len(entering) == 0:
                break
            entering = entering[weights[entering] > weights[leaving].min() + 1e-12]
            if len(entering) == 0:
                break
            entering = entering[np.argsort(-weights[entering], kind="stable")]
            move = self._best_swap(counts, weights, leaving, entering[:_SHORTLIST])
            if move is None and len(entering) > _SHORTLIST:
                move = self._best_swap(counts, weights, leaving, entering[_SHORTLIST:])
            if move is None:
                break
            counts[move[0]] -= 1
            counts[move[1]] += 1
        return counts

    def _best_swap(
        self, counts: np.ndarray, weights: np.ndarray, leaving: np.ndarray, entering: np.ndarray
    ) -> tuple[int, int] | None:
        """The valid swap (leaving type, entering type) with the largest gain, if any gains."""
        leaving = leaving[weights[leaving] < weights[entering].max() - 1e-12]
        if len(leaving) == 0:
            return None
        gain = weights[entering][None, :] - weights[leaving][:, None]
        filled = self.totals(counts)
        # A swap is valid when every quota the leaving type cannot give up a seat from, and every one the
        # entering type cannot add a seat to, is a value both hold (so its total does not move).
        out_rows, in_rows = self._membership[leaving], self._membership[entering]
        stuck_out = out_rows * (filled <= self.bounds.quota_low)
        stuck_in = in_rows * (filled >= self.bounds.quota_high)
        blocked = stuck_out.sum(axis=1)[:, None] - stuck_out @ in_rows.T
        blocked += stuck_in.sum(axis=1)[None, :] - out_rows @ stuck_in.T
        valid = blocked < 0.5
        valid &= leaving[:, None] != entering[None, :]
        valid &= self._household_allows(counts, leaving, entering)
        gain = np.where(valid, gain, -np.inf)
        best = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if gain[best] <= 1e-12:
            return None
        return int(leaving[best[0]]), int(entering[best[1]])

    def _household_allows(self, counts: np.ndarray, leaving: np.ndarray, entering: np.ndarray) -> np.ndarray:
        """A type may enter unless its household already has a member who is not the one leaving."""
        homes = self._household[entering]
        if not np.any(homes >= 0):
            return np.ones((len(leaving), len(entering)), dtype=bool)
        on_panel = np.flatnonzero((counts > 0) & (self._household >= 0))
        busy = {int(self._household[t]): int(t) for t in on_panel}
        occupant = np.array([busy.get(int(h), -1) if h >= 0 else -1 for h in homes])
        return (occupant[None, :] < 0) | (occupant[None, :] == leaving[:, None])

    def repair(
        self, counts: np.ndarray, bounds: PanelBounds, *, max_steps: int = 8, lookahead: int = 8
    ) -> np.ndarray | None:
        """``counts`` (a panel of the right size) moved within ``bounds`` by swaps, or None if that fails.

        Each step takes the swap that most reduces the total amount by which rows miss ``bounds``.
        When none does (a tight quota blocks every direct fix), a swap easing a broken row is tried
        together with its best follow-up, which usually repairs the quota the first one broke: the
        chains a peeling step needs, found in a millisecond or two instead of a MILP.
        """
        counts = counts.copy()
        for _ in range(max_steps):
            if self._violation(counts, bounds) == 0:
                return counts
            move = self._best_repair(counts, bounds, lookahead)
            if move is None:
                return None
            for leaving, entering in move:
                counts[leaving] -= 1
                counts[entering] += 1
        return counts if self._violation(counts, bounds) == 0 else None

    def near(self, point: np.ndarray, rng: np.random.Generator, attempts: int = 4) -> np.ndarray | None:
        """A panel within the bounds found by rounding the fractional ``point`` and repairing it.

        A point on a face of the panel polytope rounds to counts that miss each row by a seat or two,
        so a few swaps usually reach a panel on that face: far cheaper than a MILP. Each attempt after
        the first rounds in a random order of types.
        """
        for attempt in range(attempts):
            order = rng.permutation(len(point)) if attempt else np.arange(len(point))
            panel = self.repair(_rounded(point, order, float(rng.random())), self.bounds, max_steps=12)
            if panel is not None:
                return panel
        return None

    def _best_repair(
        self, counts: np.ndarray, bounds: PanelBounds, lookahead: int
    ) -> list[tuple[int, int]] | None:
        """One improving swap, else the best improving pair whose first swap eases a broken row.

        The follow-ups of all ``lookahead`` first swaps are scored together, in one batch.
        """
        state = counts[None, :]
        leaving, entering, change = self._violation_changes(state, bounds)
        if change is None:
            return None
        first_change = change[0].ravel()
        best = int(np.argmin(first_change))
        if first_change[best] < 0:
            i, j = np.unravel_index(best, change.shape[1:])
            return [(int(leaving[i]), int(entering[j]))]
        _, _, easing = self._violation_changes(state, bounds, broken_rows_only=True)
        assert easing is not None
        candidates = np.flatnonzero((easing[0].ravel() < 0) & np.isfinite(first_change))
        candidates = candidates[np.argsort(first_change[candidates], kind="stable")][:lookahead]
        if len(candidates) == 0:
            return None
        out_index, in_index = np.unravel_index(candidates, change.shape[1:])
        firsts = list(zip(leaving[out_index].tolist(), entering[in_index].tolist(), strict=True))
        after = np.repeat(state, len(firsts), axis=0)
        rows = np.arange(len(firsts))
        after[rows, leaving[out_index]] -= 1
        after[rows, entering[in_index]] += 1
        leaving2, entering2, change2 = self._violation_changes(after, bounds)
        if change2 is None:
            return None
        follow_ups = change2.reshape(len(firsts), -1)
        seconds = np.argmin(follow_ups, axis=1)
        totals = first_change[candidates] + follow_ups[rows, seconds]
        chosen = int(np.argmin(totals))
        if totals[chosen] >= 0:
            return None
        i, j = np.unravel_index(int(seconds[chosen]), change2.shape[1:])
        return [firsts[chosen], (int(leaving2[i]), int(entering2[j]))]

    def _violation(self, counts: np.ndarray, bounds: PanelBounds) -> float:
        """How far ``counts`` is from ``bounds``: the summed shortfalls and excesses of every row."""
        return float(
            _excess(self.totals(counts), bounds.quota_low, bounds.quota_high).sum()
            + _excess(counts, bounds.count_low, bounds.count_high).sum()
            + _excess(self._homes @ counts, bounds.household_low, 1).sum()
        )

    def _violation_changes(
        self, states: np.ndarray, bounds: PanelBounds, *, broken_rows_only: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The change in violation of every swap (leaving type, entering type) in each state (row).

        A swap moves a quota only where the two types differ, one seat down for the leaving type's
        value and one up for the entering one's; households likewise. ``change[k, i, j]`` is infinite
        where state ``k``'s count bounds forbid the swap.
        """
        low, high = bounds.count_low, bounds.count_high
        can_leave, can_enter = states > low, states < high
        leaving = np.flatnonzero(can_leave.any(axis=0))
        entering = np.flatnonzero(can_enter.any(axis=0))
        if len(leaving) == 0 or len(entering) == 0:
            return leaving, entering, None
        totals = states @ self._membership
        down, up = _row_changes(totals, bounds.quota_low, bounds.quota_high, broken_rows_only)
        # Summed over the leaving type's values plus the entering type's, less the values both hold:
        # only that last part needs the whole (leaving, entering) grid, and only over the quotas at
        # a bound (the others move freely either way).
        out_rows, in_rows = self._membership[leaving], self._membership[entering]
        out_change, in_change = down @ out_rows.T, up @ in_rows.T
        both = down + up
        moving = np.flatnonzero(both.any(axis=0))
        shared = (out_rows[None, :, moving] * both[:, None, moving]) @ in_rows[:, moving].T
        for types, step, side in ((leaving, -1, out_change), (entering, 1, in_change)):
            now = _excess(states[:, types], low[types], high[types])
            moved = _excess(states[:, types] + step, low[types], high[types]) - now
            side += np.where(now > 0, moved, 0) if broken_rows_only else moved
        if self._households:
            homes = (self._homes @ states.T).T
            down, up = _row_changes(homes, bounds.household_low, 1, broken_rows_only)
            # Types in no household have index -1: a last column of zeros.
            down, up = np.pad(down, ((0, 0), (0, 1))), np.pad(up, ((0, 0), (0, 1)))
            out_homes, in_homes = self._household[leaving], self._household[entering]
            out_change += down[:, out_homes]
            in_change += up[:, in_homes]
            i, j = _same_household(out_homes, in_homes)
            shared[:, i, j] += down[:, out_homes[i]] + up[:, in_homes[j]]
        out_change[~can_leave[:, leaving]] = np.inf
        in_change[~can_enter[:, entering]] = np.inf
        change = np.negative(shared, out=shared)
        change += out_change[:, :, None]
        change += in_change[:, None, :]
        _, i, j = np.intersect1d(leaving, entering, assume_unique=True, return_indices=True)
        change[:, i, j] = np.inf
        return leaving, entering, change


def _same_household(out_homes: np.ndarray, in_homes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)`` with ``out_homes[i] == in_homes[j]``, a household (not -1)."""
    order = np.argsort(in_homes, kind="stable")
    ordered = in_homes[order]
    rows = np.flatnonzero(out_homes >= 0)
    first = np.searchsorted(ordered, out_homes[rows], side="left")
    matches = np.searchsorted(ordered, out_homes[rows], side="right") - first
    starts = np.repeat(first - np.cumsum(matches) + matches, matches)
    return np.repeat(rows, matches), order[starts + np.arange(int(matches.sum()))]


def _rounded(point: np.ndarray, order: np.ndarray, offset: float) -> np.ndarray:
    """``point`` rounded to whole seats, each count up or down, by systematic sampling in ``order``
    (the total, a whole number of seats, is kept)."""
    base = np.floor(point + _WHOLE)
    cumulative = np.cumsum(np.maximum(point - base, 0.0)[order])
    ups = np.diff(np.floor(cumulative + offset + _WHOLE), prepend=np.floor(offset + _WHOLE))
    rounded = base.astype(np.int64)
    rounded[order] += ups.astype(np.int64)
    return rounded


def _excess(values: np.ndarray, low: np.ndarray | int, high: np.ndarray | int) -> np.ndarray:
    """How far each value lies outside ``[low, high]``."""
    return np.maximum(0, np.maximum(low - values, values - high))


def _row_changes(
    totals: np.ndarray, low: np.ndarray | int, high: np.ndarray | int, broken_rows_only: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Change in each row's violation when its total drops or rises by one."""
    now = _excess(totals, low, high)
    down = _excess(totals - 1, low, high) - now
    up = _excess(totals + 1, low, high) - now
    if broken_rows_only:
        down, up = np.where(now > 0, down, 0), np.where(now > 0, up, 0)
    return down.astype(float), up.astype(float)
