"""Transparent lottery: round a distribution to M equally likely panels, commit to them, draw publicly.

A distribution over panels with odd probabilities cannot be drawn in front of an audience. Following
Flanigan, Kehne and Procaccia ("Fair sortition made transparent", NeurIPS 2021) we round it to a
uniform lottery over M panels (repeats allowed): panel j gets floor(M q_j) or ceil(M q_j) copies, and
the rounding chooses which panels round up so as to keep everyone's chance close to their target.

Choosing them is a discrepancy problem: person i's error is the sum, over the rounded panels that
contain i, of (rounded up ? 1 : 0) - (M q_j - floor(M q_j)). Large supports (thousands of panels;
LEXIMIN gives about 7,500 on a 10,000-person pool) defeat a search that only swaps panels around the
worst-off person, so we first descend on a smooth objective, the weighted sum of squared errors,
swapping one rounded-up panel for one rounded-down panel. A swap's effect is a difference of per-panel
sums minus the weighted overlap of the two panels; panels that differ in a few members make the fine
moves that flatten the errors. Then the weights grow on the people with the largest errors and the
descent restarts from where it stopped (a few rounds, within a fixed amount of work); after each round
the worst-person swap search lowers the largest error, and the best rounding seen is kept,
largest-remainder rounding and (on small supports) the plain worst-person search from it among the
candidates.
Everything is deterministic, so the same distribution always gives the same lottery and commitment. The
M panels are published with the SHA-256 of a canonical serialisation before the draw; the chosen index
then comes from hashing that commitment with a public seed announced afterwards (e.g. lottery numbers),
so anyone can re-derive it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shlex
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sparse

from civicforum.selection.types import Panel, SelectionResult
from civicforum.wording import whole_number

DEFAULT_LOTTERY_SIZE = 1000
MAX_ROUNDING_SWAPS = 20_000
SWAP_CANDIDATES = 48
ADD_CANDIDATES = 512
REWEIGHTING_ROUNDS = 4
# Overlap-table entries the descent may build and scan before it starts no further round (a support
# of 12k panels gets all rounds in about 5 s, one of 43k two rounds in about 12 s); a count rather than
# a clock, so a slower machine still gets the same lottery.
DESCENT_WORK = 5e8
# Up to this many fractional panels the worst-person search from largest remainder is cheap enough to
# run as well (it was the whole method before the descent).
PLAIN_SEARCH_PANELS = 4000
OVERLAP_ROWS = 256
# Largest overlap table kept in memory (float32 entries, 200 MB, so a web worker stays small; a support
# of 43k panels needs 172 MB); beyond it rows are recomputed when read (same lottery, slower).
OVERLAP_LIMIT = 50_000_000


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


def round_to_lottery(result: SelectionResult, size: int = DEFAULT_LOTTERY_SIZE) -> Lottery:
    """Round ``result`` to a uniform lottery over ``size`` panels from its support.

    Panel j gets floor(M q_j) or ceil(M q_j) copies; which panels round up is chosen to keep the
    largest |count_i - M p_i| small (see the module docstring). It is deterministic, so the same
    distribution always gives the same lottery and commitment.
    """
    if size < 1:
        raise ValueError("a lottery needs at least one panel")
    weights = np.array(result.panel_probabilities, dtype=float)
    weights = weights / weights.sum()
    targets = weights * size
    floors = np.floor(targets + 1e-9)
    remainders = np.clip(targets - floors, 0.0, None)
    extra = int(round(size - floors.sum()))
    fractional = [int(j) for j in np.argsort(-remainders, kind="stable") if remainders[j] > 1e-9]
    extra = min(extra, len(fractional))
    chosen = set(fractional[:extra])
    if 0 < extra < len(fractional):
        chosen = _best_rounding(result.panels, targets - floors, fractional, extra)
    counts = floors.astype(int) + np.array([1 if j in chosen else 0 for j in range(len(floors))])
    panels = canonical_panels(panel for j, panel in enumerate(result.panels) for _ in range(counts[j]))
    lottery = Lottery(panels, commitment_of(panels), max_deviation=0.0)
    chances = lottery.probabilities()
    # Measured against the chances the distribution itself reports for everyone in the pool.
    deviation = max(
        (abs(chances.get(person, 0.0) - p) for person, p in result.selection_probabilities.items()),
        default=0.0,
    )
    return replace(lottery, max_deviation=deviation)


def _best_rounding(
    panels: Sequence[Panel], remainders: np.ndarray, fractional: list[int], extra: int
) -> set[int]:
    """Which ``extra`` of the ``fractional`` panels (sorted by remainder) round up: the best candidate."""
    people = sorted({person for j in fractional for person in panels[j]})
    index = {person: i for i, person in enumerate(people)}
    members = np.array([[index[person] for person in panels[j]] for j in fractional], dtype=np.int64)
    rounding = _Rounding(members, remainders[fractional], len(people))
    start = np.zeros(len(fractional), dtype=bool)
    start[:extra] = True
    candidates = [start]
    if len(fractional) <= PLAIN_SEARCH_PANELS:
        candidates.append(_improve_rounding(members, rounding.deviation(start), start.copy()))
    up = start.copy()
    weights = np.ones(len(people))
    work = 0.0
    for _ in range(REWEIGHTING_ROUNDS):
        work += rounding.descend(up, weights)
        deviation = rounding.deviation(up)
        candidates.append(_improve_rounding(members, deviation.copy(), up.copy()))
        if work > DESCENT_WORK:
            break
        # Larger weights on the largest errors: the next descent trades them for smaller ones elsewhere.
        weights = 1.0 + 8.0 * (np.abs(deviation) / max(float(np.abs(deviation).max()), 1.0)) ** 4
    best = min(candidates, key=rounding.score)
    return {fractional[column] for column in np.flatnonzero(best)}


class _Rounding:
    """The errors of a choice of rounded-up panels, and a descent on their weighted sum of squares."""

    def __init__(self, members: np.ndarray, remainders: np.ndarray, num_people: int) -> None:
        num_panels, panel_size = members.shape
        self.members = members
        self.remainders = remainders
        # panel x person incidence, and its transpose (each person's panels) for the incremental updates
        self.by_panel = sparse.csr_matrix(
            (np.ones(members.size), members.ravel(), np.arange(0, members.size + 1, panel_size)),
            shape=(num_panels, num_people),
        )
        self.by_person = self.by_panel.T.tocsr()

    def deviation(self, up: np.ndarray) -> np.ndarray:
        """Each person's copies minus their target (in copies) when the panels in ``up`` round up."""
        return np.asarray(self.by_person @ (up - self.remainders))

    def score(self, up: np.ndarray) -> tuple[float, float]:
        deviation = self.deviation(up)
        return round(float(np.abs(deviation).max()), 9), round(float(deviation @ deviation), 9)

    def descend(self, up: np.ndarray, weights: np.ndarray) -> float:
        """Swap panels in ``up`` (in place) while that lowers sum w_i d_i^2; returns the work done.

        Swapping a (up) for b (down) changes the sum by down[a] + rise[b] - 2 overlap[a, b], with
        down = sum over a's members of w(1 - 2d), rise = sum over b's members of w(1 + 2d), overlap the
        members' weight the two share. The up panels' weighted overlaps with every panel are kept as a
        dense float32 table (recomputed row by row if it would not fit in OVERLAP_LIMIT) that picks
        the candidate b per up panel; the exact change decides. Up panels are visited in turn (first
        improvement), until a whole pass finds nothing.
        """
        members, by_person = self.members, self.by_person
        num_panels = len(members)
        deviation = self.deviation(up)
        weighted = sparse.csr_matrix(
            (np.repeat(weights, np.diff(by_person.indptr)), by_person.indices, by_person.indptr),
            shape=by_person.shape,
        )
        rows = np.flatnonzero(up)
        stored = len(rows) * num_panels <= OVERLAP_LIMIT
        overlap = np.empty((len(rows) if stored else 0, num_panels), dtype=np.float32)
        for first in range(0, len(overlap), OVERLAP_ROWS):
            chunk = rows[first : first + OVERLAP_ROWS]
            overlap[first : first + len(chunk)] = 2.0 * (self.by_panel[chunk] @ weighted).toarray()
        down = self.by_panel @ (weights * (1.0 - 2.0 * deviation))
        rise = self.by_panel @ (weights * (1.0 + 2.0 * deviation))
        addable = np.where(up, np.inf, rise)
        candidates = addable.astype(np.float32)
        work = float(overlap.size)
        unchanged = position = 0
        while unchanged < len(rows):
            leave = int(rows[position])
            if stored:
                row = overlap[position]
            else:
                row = (2.0 * _weighted_count(weighted, members[leave], num_panels)).astype(np.float32)
            enter = int(np.argmin(candidates - row))
            work += num_panels
            shared = np.intersect1d(members[leave], members[enter], assume_unique=True)
            if down[leave] + rise[enter] - 2.0 * weights[shared].sum() < -1e-9:
                fewer = np.setdiff1d(members[leave], shared, assume_unique=True)
                more = np.setdiff1d(members[enter], shared, assume_unique=True)
                deviation[fewer] -= 1.0
                deviation[more] += 1.0
                change = 2.0 * (
                    _weighted_count(weighted, more, num_panels) - _weighted_count(weighted, fewer, num_panels)
                )
                down -= change
                rise += change
                addable += change
                addable[leave], addable[enter] = rise[leave], np.inf
                candidates = addable.astype(np.float32)
                if stored:
                    overlap[position] = 2.0 * _weighted_count(weighted, members[enter], num_panels)
                rows[position] = enter
                up[leave], up[enter] = False, True
                unchanged = 0
            else:
                unchanged += 1
            position = (position + 1) % len(rows)
        return work


def _weighted_count(by_person: sparse.csr_matrix, people: np.ndarray, num_panels: int) -> np.ndarray:
    """For every panel, the summed weight of its members among ``people`` (rows of ``by_person``)."""
    starts, indices, data = by_person.indptr, by_person.indices, by_person.data
    spans = [(starts[person], starts[person + 1]) for person in people.tolist()]
    if not spans:
        return np.zeros(num_panels)
    panels = np.concatenate([indices[first:last] for first, last in spans])
    return np.bincount(
        panels, weights=np.concatenate([data[first:last] for first, last in spans]), minlength=num_panels
    )


def _improve_rounding(members: np.ndarray, deviation: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Swap panels in ``up`` (rows of ``members``) while that lowers the largest |deviation|, then squares."""
    for _ in range(MAX_ROUNDING_SWAPS):
        swap = _best_swap(deviation, members, up)
        if swap is None:
            break
        down, rise = swap
        up[down], up[rise] = False, True
        deviation[members[down]] -= 1.0
        deviation[members[rise]] += 1.0
    return up


def _best_swap(deviation: np.ndarray, members: np.ndarray, up: np.ndarray) -> tuple[int, int] | None:
    """The swap (round down, round up) that most lowers (max |deviation|, sum of squares), if any does.

    Only swaps that move the worst-off person towards their target are tried: for someone with too
    many copies, drop a panel with them and add one without them (and the reverse for too few).
    """
    size = np.abs(deviation)
    worst = int(np.argmax(size))
    current = (round(float(size[worst]), 9), float(deviation @ deviation))
    has_worst = (members == worst).any(axis=1)
    too_many = deviation[worst] > 0
    drops = np.flatnonzero(up & (has_worst if too_many else ~has_worst))
    adds = np.flatnonzero(~up & (~has_worst if too_many else has_worst))
    if not len(drops) or not len(adds):
        return None
    # Only the drops that relieve the most excess and the adds that fill the most shortfall are tried.
    relief = deviation[members[drops]].sum(axis=1)
    adds = adds[np.argsort(deviation[members[adds]].sum(axis=1), kind="stable")[:ADD_CANDIDATES]]
    best: tuple[tuple[float, float], int, int] | None = None
    for down in drops[np.argsort(-relief, kind="stable")[:SWAP_CANDIDATES]]:
        after = deviation.copy()
        after[members[down]] -= 1.0
        raised = after[members[adds]] + 1.0
        inside = np.abs(raised).max(axis=1)
        outside = _max_outside(np.abs(after), members[adds])
        largest = np.round(np.maximum(inside, outside), 9)
        squares = float(after @ after) + (raised**2 - (raised - 1.0) ** 2).sum(axis=1)
        pick = int(np.lexsort((squares, largest))[0])
        candidate = ((float(largest[pick]), float(squares[pick])), int(down), int(adds[pick]))
        if best is None or candidate[0] < best[0]:
            best = candidate
    if best is None or not best[0] < (current[0], current[1] - 1e-9):
        return None
    return best[1], best[2]


def _max_outside(size: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each row (a panel's members), the largest ``size`` among people not in it."""
    result = np.full(len(rows), -1.0)
    pending = np.ones(len(rows), dtype=bool)
    for person in np.argsort(-size, kind="stable")[: rows.shape[1] + 1]:
        free = pending & ~(rows == person).any(axis=1)
        result[free] = size[person]
        pending &= ~free
        if not pending.any():
            break
    return result


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
    listed = Counter(selected)
    chosen = set(listed)
    repeated = sorted(person for person, count in listed.items() if count > 1)
    if repeated:  # a set comparison alone would pass a selected.csv with a member's row pasted twice
        problems.append(f"selected.csv lists {', '.join(repeated)} more than once")
    if expected != chosen:
        missing = ", ".join(sorted(expected - chosen)) or "nobody"
        extra = ", ".join(sorted(chosen - expected)) or "nobody"
        problems.append(
            f"seed {seed!r} picks panel {index + 1} of {whole_number(len(panels))}, but selected.csv "
            f"differs: missing {missing}; not on that panel: {extra}"
        )
    return problems


# Characters that some command line treats specially even inside double quotes: Unix shells ($ ` \ !),
# Windows' cmd (%) and PowerShell ($ `).
_SPECIAL_IN_DOUBLE_QUOTES = frozenset('"$`\\!%')


def verify_command(folder: str, seed: str) -> str:
    """The ``civicforum selection verify`` command for ``seed``, to copy as it stands.

    A seed holding spaces (lottery numbers, "5 12 19 33 41 48") is one argument only when quoted. Double
    quotes do that alike in Unix shells, Windows' cmd and PowerShell; a seed holding a character one of
    them reads specially inside double quotes is quoted for a Unix shell instead. A seed starting with '-'
    follows '--seed=', or it would be read as another option.
    """
    quoted = shlex.quote(seed)
    if quoted != seed and not _SPECIAL_IN_DOUBLE_QUOTES & set(seed):
        quoted = f'"{seed}"'
    joined = "=" if seed.startswith("-") else " "
    return f"civicforum selection verify {folder} --seed{joined}{quoted}"


def lottery_summary(
    lottery: Lottery, seed: str | None, index: int | None, target: Mapping[str, float]
) -> dict[str, object]:
    """The JSON-ready description of a lottery and its draw (seed and index None: not drawn yet)."""
    after = lottery.probabilities()
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
        "min_probability_after": min((after.get(p, 0.0) for p in target), default=0.0),
        "panels": [list(panel) for panel in lottery.panels],
    }
