"""Cheap panels: improve or repair a known panel by swapping one member at a time.

Most pricing rounds of column generation only need *some* panel that beats the LP's threshold, not
the best one. Starting from the best panels already in the LP, a steepest-ascent search over
one-for-one swaps of types (kept within every quota and household) usually finds one in
milliseconds; the exact MILP is then needed only to prove that none exists. Likewise the peeling of
the relaxation's fair point needs, at each step, *some* panel on a slightly smaller face: the last
panel repaired by a swap or two (``SwapSearch.repair``) usually is one.
"""

from __future__ import annotations

import numpy as np

from .compression import PanelBounds, TypeModel

_SHORTLIST = 48


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
        self._membership = self._incidence.T.astype(float)
        self.restrict(bounds or model.rules())

    def restrict(self, bounds: PanelBounds) -> None:
        """From now on, keep panels within ``bounds`` (lower household bounds aside)."""
        self._low = bounds.quota_low
        self._high = bounds.quota_high
        self._count_low = bounds.count_low
        self._count_high = bounds.count_high

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
            leaving = np.flatnonzero(counts > self._count_low)
            entering = np.flatnonzero(counts < self._count_high)
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
        stuck_out = out_rows * (filled <= self._low)
        stuck_in = in_rows * (filled >= self._high)
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

    def _best_repair(
        self, counts: np.ndarray, bounds: PanelBounds, lookahead: int
    ) -> list[tuple[int, int]] | None:
        """One improving swap, else the best improving pair whose first swap eases a broken row."""
        leaving, entering, change = self._violation_changes(counts, bounds)
        if change is None:
            return None
        best = np.unravel_index(int(np.argmin(change)), change.shape)
        if change[best] < 0:
            return [(int(leaving[best[0]]), int(entering[best[1]]))]
        _, _, easing = self._violation_changes(counts, bounds, broken_rows_only=True)
        assert easing is not None
        candidates = np.flatnonzero((easing < 0).ravel() & np.isfinite(change).ravel())
        candidates = candidates[np.argsort(change.ravel()[candidates], kind="stable")][:lookahead]
        chosen: list[tuple[int, int]] | None = None
        total = 0.0
        for flat in candidates:
            i, j = np.unravel_index(int(flat), change.shape)
            first = (int(leaving[i]), int(entering[j]))
            after = counts.copy()
            after[first[0]] -= 1
            after[first[1]] += 1
            leaving2, entering2, change2 = self._violation_changes(after, bounds)
            if change2 is None:
                continue
            second = np.unravel_index(int(np.argmin(change2)), change2.shape)
            if change[i, j] + change2[second] < total:
                total = float(change[i, j] + change2[second])
                chosen = [first, (int(leaving2[second[0]]), int(entering2[second[1]]))]
        return chosen

    def _violation(self, counts: np.ndarray, bounds: PanelBounds) -> float:
        """How far ``counts`` is from ``bounds``: the summed shortfalls and excesses of every row."""
        homes = self._home_totals(counts)
        return float(
            _excess(self.totals(counts), bounds.quota_low, bounds.quota_high).sum()
            + _excess(counts, bounds.count_low, bounds.count_high).sum()
            + _excess(homes, bounds.household_low, 1).sum()
        )

    def _home_totals(self, counts: np.ndarray) -> np.ndarray:
        on_panel = np.flatnonzero((counts > 0) & (self._household >= 0))
        return np.bincount(self._household[on_panel], counts[on_panel], minlength=self._households)

    def _violation_changes(
        self, counts: np.ndarray, bounds: PanelBounds, *, broken_rows_only: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The change in violation of every swap (leaving type, entering type) within the count bounds.

        A swap moves a quota only where the two types differ, one seat down for the leaving type's
        value and one up for the entering one's; households likewise.
        """
        leaving = np.flatnonzero(counts > bounds.count_low)
        entering = np.flatnonzero(counts < bounds.count_high)
        if len(leaving) == 0 or len(entering) == 0:
            return leaving, entering, None
        down, up = _row_changes(self.totals(counts), bounds.quota_low, bounds.quota_high, broken_rows_only)
        # Summed over the leaving type's values plus the entering type's, less the values both hold.
        out_rows, in_rows = self._membership[leaving], self._membership[entering]
        change = (out_rows @ down)[:, None] + (in_rows @ up)[None, :] - (out_rows * (down + up)) @ in_rows.T
        if self._households:
            down, up = _row_changes(self._home_totals(counts), bounds.household_low, 1, broken_rows_only)
            down, up = np.append(down, 0.0), np.append(up, 0.0)  # the last entry: in no household
            out_homes, in_homes = self._household[leaving], self._household[entering]
            change += np.where(
                out_homes[:, None] != in_homes[None, :], down[out_homes][:, None] + up[in_homes][None, :], 0.0
            )
        low, high = bounds.count_low, bounds.count_high
        for types, step, axis in ((leaving, -1, 1), (entering, 1, 0)):
            now = _excess(counts[types], low[types], high[types])
            moved = _excess(counts[types] + step, low[types], high[types]) - now
            if broken_rows_only:
                moved = np.where(now > 0, moved, 0)
            change += np.expand_dims(moved, axis)
        change = np.where(leaving[:, None] == entering[None, :], np.inf, change.astype(float))
        return leaving, entering, change


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
