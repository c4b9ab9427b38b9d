"""Transparent lottery: round a distribution to M equally likely panels, commit to them, draw publicly.

A distribution over panels with odd probabilities cannot be drawn in front of an audience. Following
Flanigan, Kehne and Procaccia ("Fair sortition made transparent", NeurIPS 2021) we round it to a
uniform lottery over M panels (repeats allowed), choosing the rounding by an integer program that
minimises the largest change in anyone's selection probability. The M panels are published with the
SHA-256 of a canonical serialisation before the draw; the chosen index then comes from hashing that
commitment with a public seed announced afterwards (e.g. lottery numbers), so anyone can re-derive it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from civicforum.selection.types import Panel, SelectionResult

DEFAULT_LOTTERY_SIZE = 1000
# The rounding stops after a fixed number of branch-and-bound nodes (deterministic, so the same
# distribution always gives the same lottery and commitment); the time limit is only a safety net.
ROUNDING_NODE_LIMIT = 1
ROUNDING_TIME_LIMIT = 120.0


@dataclass(frozen=True)
class Lottery:
    """M equally likely panels in canonical order, and how far rounding moved anyone's probability."""

    panels: tuple[Panel, ...]
    commitment: str
    max_deviation: float

    @property
    def size(self) -> int:
        return len(self.panels)

    def probabilities(self) -> dict[str, float]:
        """Each member's chance of selection under the uniform lottery."""
        counts = Counter(person for panel in self.panels for person in panel)
        return {person: count / self.size for person, count in counts.items()}

    def draw(self, seed: str) -> tuple[int, Panel]:
        index = draw_index(self.commitment, seed, self.size)
        return index, self.panels[index]


def canonical_panels(panels: Iterable[Sequence[str]]) -> tuple[Panel, ...]:
    """Panels with sorted members, in sorted order: the same lottery always serialises the same way."""
    return tuple(sorted(tuple(sorted(panel)) for panel in panels))


def commitment_of(panels: Sequence[Sequence[str]]) -> str:
    """SHA-256 (hex) of the panels as compact JSON (a list of id lists, in canonical order)."""
    text = json.dumps(
        [list(panel) for panel in canonical_panels(panels)], separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw_index(commitment: str, seed: str, size: int) -> int:
    """index = int(SHA-256(commitment + ":" + seed)) mod M; nobody can steer it once the panels are public."""
    digest = hashlib.sha256(f"{commitment}:{seed}".encode()).hexdigest()
    return int(digest, 16) % size


def new_seed() -> str:
    """A seed from the operating system's secure randomness, for draws without a public seed."""
    return secrets.token_hex(16)


def round_to_lottery(
    result: SelectionResult, size: int = DEFAULT_LOTTERY_SIZE, *, time_limit: float = ROUNDING_TIME_LIMIT
) -> Lottery:
    """Round ``result`` to a uniform lottery over ``size`` panels from its support.

    Panel j gets floor(M q_j) or ceil(M q_j) copies; an integer program (HiGHS) picks which panels
    round up so that the largest |count_i / M - p_i| over volunteers is as small as it can find within
    ``ROUNDING_NODE_LIMIT`` nodes, starting from largest-remainder rounding, which it never does worse than.
    """
    if size < 1:
        raise ValueError("a lottery needs at least one panel")
    weights = np.array(result.panel_probabilities, dtype=float)
    weights = weights / weights.sum()
    targets = weights * size
    floors = np.floor(targets + 1e-9)
    remainders = np.clip(targets - floors, 0.0, None)
    extra = int(round(size - floors.sum()))
    fractional = [j for j in np.argsort(-remainders, kind="stable") if remainders[j] > 1e-9]
    extra = min(extra, len(fractional))
    chosen = set(fractional[:extra])
    if 0 < extra < len(fractional):
        chosen = _best_rounding(result.panels, weights, floors, fractional, extra, size, chosen, time_limit)
    counts = floors.astype(int) + np.array([1 if j in chosen else 0 for j in range(len(floors))])
    panels = canonical_panels(panel for j, panel in enumerate(result.panels) for _ in range(counts[j]))
    lottery_probabilities = Counter(
        person for j, panel in enumerate(result.panels) for person in panel for _ in range(counts[j])
    )
    target_probabilities = _selection_probabilities(result.panels, weights)
    deviation = max(
        (abs(lottery_probabilities.get(person, 0) / size - p) for person, p in target_probabilities.items()),
        default=0.0,
    )
    return Lottery(panels, commitment_of(panels), deviation)


def _selection_probabilities(panels: Sequence[Panel], weights: np.ndarray) -> dict[str, float]:
    probabilities: dict[str, float] = {}
    for panel, weight in zip(panels, weights, strict=True):
        for person in panel:
            probabilities[person] = probabilities.get(person, 0.0) + float(weight)
    return probabilities


def _best_rounding(
    panels: Sequence[Panel],
    weights: np.ndarray,
    floors: np.ndarray,
    fractional: list[int],
    extra: int,
    size: int,
    start: set[int],
    time_limit: float,
) -> set[int]:
    """Choose ``extra`` of the ``fractional`` panels to round up, minimising the largest count deviation z."""
    base: dict[str, float] = {}
    target: dict[str, float] = {}
    for j, panel in enumerate(panels):
        for person in panel:
            base[person] = base.get(person, 0.0) + floors[j]
            target[person] = target.get(person, 0.0) + weights[j] * size
    touching: dict[str, list[int]] = {}
    for column, j in enumerate(fractional):
        for person in panels[j]:
            touching.setdefault(person, []).append(column)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", time_limit)
    highs.setOptionValue("mip_max_nodes", ROUNDING_NODE_LIMIT)
    count = len(fractional)
    empty_int, empty_float = np.array([], np.int32), np.array([], float)
    costs = np.append(np.zeros(count), 1.0)
    highs.addCols(
        count + 1,
        costs,
        np.zeros(count + 1),
        np.append(np.ones(count), highspy.kHighsInf),
        0,
        empty_int,
        empty_int,
        empty_float,
    )
    highs.changeColsIntegrality(count, np.arange(count, dtype=np.int32), np.ones(count, dtype=np.uint8))
    z = count
    lower, upper, starts, indices, values = (
        [float(extra)],
        [float(extra)],
        [0],
        list(range(count)),
        [1.0] * count,
    )
    for person, columns in touching.items():
        gap = target[person] - base[person]
        for sign in (1.0, -1.0):  # sign * (sum y - gap) <= z
            starts.append(len(indices))
            indices.extend(columns + [z])
            values.extend([sign] * len(columns) + [-1.0])
            lower.append(-highspy.kHighsInf)
            upper.append(sign * gap)
    highs.addRows(
        len(lower),
        np.array(lower),
        np.array(upper),
        len(indices),
        np.array(starts, np.int32),
        np.array(indices, np.int32),
        np.array(values),
    )
    initial = highspy.HighsSolution()
    start_values = [1.0 if j in start else 0.0 for j in fractional]
    worst = max(
        (
            abs(sum(start_values[c] for c in columns) - (target[p] - base[p]))
            for p, columns in touching.items()
        ),
        default=0.0,
    )
    initial.col_value = start_values + [worst]
    initial.value_valid = True
    highs.setSolution(initial)
    highs.run()
    if highs.getInfo().primal_solution_status != 2:  # no feasible point found: keep the start
        return start
    solution = highs.getSolution().col_value
    picked = {fractional[c] for c in range(count) if solution[c] > 0.5}
    return picked if len(picked) == extra else start


def verify_draw(
    panels: Sequence[Sequence[str]], commitment: str, seed: str, selected: Iterable[str]
) -> list[str]:
    """What does not match, in words (empty: the published panels, commitment, seed and panel agree)."""
    problems = []
    recomputed = commitment_of(panels)
    if recomputed != commitment:
        problems.append(
            f"the published panels hash to {recomputed}, not the published commitment {commitment}"
        )
    if not panels:
        return [*problems, "no panels were published"]
    index = draw_index(commitment, seed, len(panels))
    expected = set(canonical_panels(panels)[index])
    chosen = set(selected)
    if expected != chosen:
        missing = ", ".join(sorted(expected - chosen)) or "nobody"
        extra = ", ".join(sorted(chosen - expected)) or "nobody"
        problems.append(
            f"seed {seed!r} picks panel {index + 1} of {len(panels)}, but selected.csv differs: "
            f"missing {missing}; not on that panel: {extra}"
        )
    return problems


def lottery_summary(
    lottery: Lottery, seed: str, index: int, target: Mapping[str, float]
) -> dict[str, object]:
    """The JSON-ready description of a lottery and its draw (for distribution.json)."""
    return {
        "size": lottery.size,
        "distinct_panels": len(set(lottery.panels)),
        "commitment": lottery.commitment,
        "commitment_method": "sha256 of compact JSON list of sorted id lists, sorted",
        "draw_method": 'int(sha256(commitment + ":" + seed), 16) mod size',
        "seed": seed,
        "chosen_index": index,
        "max_probability_change": lottery.max_deviation,
        "min_probability_before": min(target.values(), default=0.0),
        "min_probability_after": min((lottery.probabilities().get(p, 0.0) for p in target), default=0.0),
        "panels": [list(panel) for panel in lottery.panels],
    }
