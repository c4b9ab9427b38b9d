"""Synthetic conversations with planted opinion groups, for tests and benchmarks.

Each planted group has a stance (agree or disagree) on every statement; about a third of the
statements are shared by all groups (consensus), the rest are drawn per group. Members see a
random 10-60% of statements, pass on some, and follow their group's stance most of the time.
A few random voters (no group) vote uniformly at random. Group sizes are deliberately unequal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from civicforum.opinions.votes import VoteMatrix

IntArray = npt.NDArray[np.int64]
RANDOM_VOTER = -1


@dataclass(frozen=True, eq=False)
class SyntheticConversation:
    votes: VoteMatrix
    planted: IntArray  # planted group per participant (row order), RANDOM_VOTER for random voters


def planted_conversation(
    n_participants: int,
    n_statements: int,
    n_groups: int = 4,
    *,
    seed: int = 0,
    random_voters: int = 5,
    seen_share: tuple[float, float] = (0.1, 0.6),
    pass_rate: float = 0.1,
    loyalty: float = 0.9,
    chunk_rows: int = 4096,
) -> SyntheticConversation:
    """A conversation of `n_participants` (the last `random_voters` of them random) and `n_statements`."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_groups + 1) ** 0.7  # unequal: roughly 1 : 0.6 : 0.46 : ...
    planted = rng.choice(n_groups, size=n_participants - random_voters, p=weights / weights.sum())
    planted = np.concatenate([np.sort(planted), np.full(random_voters, RANDOM_VOTER)]).astype(np.int64)
    shared = rng.choice([-1, 1], size=n_statements, p=[0.3, 0.7])
    stances = rng.choice([-1, 1], size=(n_groups, n_statements))
    consensus_columns = rng.random(n_statements) < 1 / 3
    stances[:, consensus_columns] = shared[consensus_columns]
    indptr = [np.zeros(1, dtype=np.int64)]
    indices, data = [], []
    offset = 0
    for start in range(0, n_participants, chunk_rows):
        rows = planted[start : start + chunk_rows]
        share = rng.uniform(*seen_share, size=rows.size)
        seen = rng.random((rows.size, n_statements), dtype=np.float32) < share[:, None]
        row_of, col_of = np.nonzero(seen)
        group = rows[row_of]
        stance = np.where(
            group >= 0, stances[np.maximum(group, 0), col_of], rng.choice([-1, 1], size=col_of.size)
        )
        loyal = np.where(group >= 0, rng.random(col_of.size) < loyalty, True)
        vote = np.where(loyal, stance, -stance)
        vote[rng.random(col_of.size) < pass_rate] = 0
        counts = np.bincount(row_of, minlength=rows.size)
        indptr.append(offset + np.cumsum(counts))
        offset += int(counts.sum())
        indices.append(col_of.astype(np.int32))
        data.append(vote.astype(np.int8))
    matrix = sparse.csr_array(
        (np.concatenate(data), np.concatenate(indices), np.concatenate(indptr)),
        shape=(n_participants, n_statements),
    )
    ids = np.arange(n_participants, dtype=np.int64)
    return SyntheticConversation(VoteMatrix(ids, np.arange(n_statements, dtype=np.int64), matrix), planted)
