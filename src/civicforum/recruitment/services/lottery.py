"""The civic lottery: draw addresses at random, stratified by ward, reproducibly from a recorded seed.

Stratifying by ward guarantees every ward receives letters in proportion to its size, instead of
leaving that to chance. Response rates are lower in deprived areas, so councils often send more letters
there: ``decile_weights`` maps a deprivation decile (1 = most deprived) to a relative weight, and an
address's chance of being drawn is proportional to its weight (addresses with no weight, or no
decile, weigh 1). For example ``{1: 2.0, 2: 1.5}`` makes an address in the most deprived tenth twice
as likely to get a letter as one in deciles 3-10. The ward totals follow the weighted sizes, so
over-sampling also sends more letters to the wards where deprived areas are.

The draw depends only on the addresses (sorted by UPRN), the number drawn, the weights and the seed,
so anyone holding those can re-run it and get the same addresses.
"""

from __future__ import annotations

import math
import random
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LotteryAddress:
    uprn: str
    ward: str
    deprivation_decile: int | None = None


@dataclass(frozen=True)
class LotteryDraw:
    seed: str
    uprns: tuple[str, ...]
    letters_per_ward: Mapping[str, int]


class LotteryError(ValueError):
    """The draw cannot be made as asked (the message says why, for an officer)."""


def new_seed() -> str:
    """A fresh seed from the operating system's randomness, short enough to write in the record."""
    return secrets.token_hex(8)


def address_weight(address: LotteryAddress, decile_weights: Mapping[int, float]) -> float:
    if address.deprivation_decile is None:
        return 1.0
    return float(decile_weights.get(address.deprivation_decile, 1.0))


def validate_weights(decile_weights: Mapping[int, float]) -> None:
    for decile, weight in decile_weights.items():
        if not 1 <= decile <= 10:
            raise LotteryError(f"Deprivation decile {decile} does not exist; deciles run from 1 to 10.")
        if not (math.isfinite(weight) and 0 < weight <= 100):
            raise LotteryError(
                f"The weight for decile {decile} must be above 0 and at most 100, not {weight}."
            )


def draw_addresses(
    addresses: Sequence[LotteryAddress],
    count: int,
    seed: str,
    decile_weights: Mapping[int, float] | None = None,
) -> LotteryDraw:
    """Draw ``count`` distinct addresses; the same inputs always give the same draw."""
    weights = dict(decile_weights or {})
    validate_weights(weights)
    if count < 1:
        raise LotteryError("Draw at least one address.")
    if count > len(addresses):
        available = len(addresses)
        raise LotteryError(
            f"Number of letters must be {available:,} or fewer: the address list has only {available:,} "
            "addresses"
        )
    by_ward: dict[str, list[LotteryAddress]] = defaultdict(list)
    for address in sorted(addresses, key=lambda a: (len(a.uprn), a.uprn)):
        by_ward[address.ward].append(address)
    ward_weight = {
        ward: sum(address_weight(a, weights) for a in members) for ward, members in by_ward.items()
    }
    allocation = allocate_by_weight(ward_weight, {w: len(m) for w, m in by_ward.items()}, count)
    drawn: list[str] = []
    for ward in sorted(by_ward):
        rng = random.Random(f"{seed}|{ward}")
        drawn.extend(_weighted_sample(by_ward[ward], allocation[ward], weights, rng))
    return LotteryDraw(seed=seed, uprns=tuple(drawn), letters_per_ward=allocation)


def allocate_by_weight(
    weights: Mapping[str, float], capacity: Mapping[str, int], total: int
) -> dict[str, int]:
    """Split ``total`` between strata in proportion to weight, never above capacity (largest remainder).

    A stratum that would exceed its capacity is filled and the rest is shared among the others.
    """
    allocation = dict.fromkeys(weights, 0)
    open_strata = set(weights)
    remaining = total
    while remaining > 0:
        open_weight = sum(weights[s] for s in open_strata)
        quotas = {s: remaining * weights[s] / open_weight for s in open_strata}
        full = {s for s in open_strata if allocation[s] + quotas[s] >= capacity[s]}
        if full:
            for stratum in full:
                remaining -= capacity[stratum] - allocation[stratum]
                allocation[stratum] = capacity[stratum]
            open_strata -= full
            continue
        floors = {s: math.floor(quotas[s]) for s in open_strata}
        leftover = remaining - sum(floors.values())
        by_remainder = sorted(open_strata, key=lambda s: (-(quotas[s] - floors[s]), s))
        for stratum in open_strata:
            allocation[stratum] += floors[stratum]
        for stratum in by_remainder[:leftover]:
            allocation[stratum] += 1
        remaining = 0
    return allocation


def _weighted_sample(
    members: list[LotteryAddress], k: int, weights: Mapping[int, float], rng: random.Random
) -> list[str]:
    """Weighted sampling without replacement (Efraimidis and Spirakis: keep the k largest u ** (1/w))."""
    keyed = [(rng.random() ** (1.0 / address_weight(a, weights)), a.uprn) for a in members]
    keyed.sort(reverse=True)
    return [uprn for _key, uprn in keyed[:k]]
