"""Cheap pricing: improve a known panel by swapping one member at a time.

Most pricing rounds of column generation only need *some* panel that beats the LP's threshold, not
the best one. Starting from the best panels already in the LP, a steepest-ascent search over
one-for-one swaps of types (kept within every quota and household) usually finds one in
milliseconds; the exact MILP is then needed only to prove that none exists.
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
        can_drop = np.append(filled > self._low, True)
        can_add = np.append(filled < self._high, True)
        out_values, in_values = self._value[leaving], self._value[entering]
        valid = np.all(
            (out_values[:, None, :] == in_values[None, :, :])
            | (can_drop[out_values][:, None, :] & can_add[in_values][None, :, :]),
            axis=2,
        )
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
