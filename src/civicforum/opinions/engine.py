"""The opinion map: who thinks alike, what each group stands for, what almost everyone shares.

Pipeline (each step documented where it lives):
1. participants with at least `min_votes` votes are "in the conversation" (Pol.is uses 7); only
   they shape the axes and the groups, but everyone is placed on the map and counted in statistics;
2. PCA of the mean-imputed vote matrix, sparse (`pca.py`), projected Pol.is's sparsity-aware way;
3. k-means on the first `max_groups` principal coordinates (a richer space than Pol.is's 2-D map:
   k well-separated groups need k-1 dimensions), k in 2..max_groups chosen by silhouette on a
   seeded sample. A k whose smallest group is below `min_group_share` of the clustered
   participants is refused, so a handful of bots voting alike cannot become a group. When no k
   qualifies everyone is one group;
4. groups are labelled by size (largest 0), or, when a previous map is given, matched to the
   previous groups (Hungarian assignment on shared members) so labels stay put between refreshes;
5. statement statistics (`stats.py`).

Incremental refresh (`previous=`): PCA starts from the previous axes, k-means from the previous
centroids, and only k-1..k+1 groups are tried, so a refresh after a few new votes is cheap.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from civicforum.opinions import pca
from civicforum.opinions.stats import (
    Consensus,
    Repness,
    VoteCounts,
    consensus,
    group_informed_consensus,
    repness,
    representative_columns,
)
from civicforum.opinions.votes import VoteMatrix

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
UNCLUSTERED = -1
MAX_ALLOWED_GROUPS = 9
COUNT_BLOCK_VOTES = 1 << 24
STATE_FIELDS = ("statement_ids", "basis", "participant_ids", "labels", "centroids", "group_labels")


@dataclass(frozen=True)
class MapSettings:
    min_votes: int = 7
    max_groups: int = 5
    seed: int = 0
    min_group_share: float = 0.03  # smallest group allowed, as a share of clustered participants
    kmeans_restarts: int = 4
    k_choice_sample: int = 1000  # points used to choose k; the chosen k-means is refined on all points
    statements_per_group: int = 5
    consensus_statements: int = 5

    def __post_init__(self) -> None:
        if not 2 <= self.max_groups <= MAX_ALLOWED_GROUPS:
            raise ValueError(f"max_groups must be between 2 and {MAX_ALLOWED_GROUPS}")
        if self.min_votes < 1:
            raise ValueError("min_votes must be at least 1")


@dataclass(frozen=True, eq=False)
class MapState:
    """What a refresh reuses: the axes, the group centroids and who was in which group."""

    statement_ids: IntArray
    basis: FloatArray  # (n_statements, block) principal axes plus oversampling
    participant_ids: IntArray  # clustered participants
    labels: IntArray  # their groups
    centroids: FloatArray  # (n_groups, dims), row g is group `group_labels[g]`
    group_labels: IntArray

    def to_bytes(self) -> bytes:
        """Compact binary form (NumPy .npz) so a web app can keep the state between refreshes."""
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **{name: getattr(self, name) for name in STATE_FIELDS})
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> MapState:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(**{name: arrays[name] for name in STATE_FIELDS})


@dataclass(frozen=True)
class RepresentativeStatement:
    statement_id: int
    agrees: bool  # the group agrees more than the rest (else disagrees more)
    n_success: int
    n_seen: int
    p_success: float
    repness: float
    repness_test: float


@dataclass(frozen=True)
class GroupSummary:
    label: int
    size: int
    representative: list[RepresentativeStatement]


@dataclass(frozen=True, eq=False)
class OpinionMap:
    participant_ids: IntArray
    coordinates: FloatArray  # (n_participants, dims); x, y are the first two
    groups: IntArray  # per participant; UNCLUSTERED for those with too few votes
    statement_ids: IntArray
    group_labels: IntArray
    group_counts: VoteCounts  # (n_groups, n_statements), rows follow group_labels
    total_counts: VoteCounts  # everyone, clustered or not
    repness: Repness
    consensus: Consensus
    group_informed_consensus: FloatArray
    summaries: list[GroupSummary]
    explained_variance_ratio: FloatArray
    pca_iterations: int
    state: MapState = field(repr=False)

    @property
    def x(self) -> FloatArray:
        return self.coordinates[:, 0]

    @property
    def y(self) -> FloatArray:
        return self.coordinates[:, 1]


def compute_map(votes: VoteMatrix, *, settings: MapSettings, previous: MapState | None = None) -> OpinionMap:
    """Compute the opinion map; with `previous`, refresh it cheaply and keep group labels stable.

    Runs single-threaded: OpenMP/BLAS worker threads spin-wait and become far slower than one
    thread on the small, busy machines (and web workers) this runs on.
    """
    with threadpool_limits(limits=1):
        return _compute_map(votes, settings, previous)


def _compute_map(votes: VoteMatrix, settings: MapSettings, previous: MapState | None) -> OpinionMap:
    if votes.n_participants == 0 or votes.n_statements == 0:
        raise ValueError("there are no votes to map")
    rng = np.random.default_rng(settings.seed)
    in_conversation = votes.votes_per_participant() >= min(settings.min_votes, votes.n_statements)
    fit_rows = np.flatnonzero(in_conversation)
    dims = max(2, settings.max_groups)
    start = _previous_basis(previous, votes.statement_ids) if previous is not None else None
    # With nobody over the threshold the axes still come from everyone, but nobody is grouped.
    pca_rows = fit_rows if fit_rows.size else np.arange(votes.n_participants)
    fitted = votes.votes if pca_rows.size == votes.n_participants else votes.votes[pca_rows]
    components = pca.fit_components(fitted, dims, rng, start=start)
    coordinates = np.zeros((votes.n_participants, components.vectors.shape[1]))
    coordinates[pca_rows] = components.scores * pca.sparsity_scale(fitted)[:, None]
    others = np.setdiff1d(np.arange(votes.n_participants), pca_rows)
    if others.size:
        coordinates[others] = pca.project(votes.votes[others], components)
    if coordinates.shape[1] < 2:
        coordinates = np.hstack([coordinates, np.zeros((coordinates.shape[0], 2 - coordinates.shape[1]))])
    points = coordinates[fit_rows]
    labels, centroids = _cluster(points, votes.participant_ids[fit_rows], settings, previous)
    group_labels = np.unique(labels)
    groups = np.full(votes.n_participants, UNCLUSTERED, dtype=np.int64)
    groups[fit_rows] = labels
    group_counts, total_counts = _count_by_group(votes.votes, groups, group_labels)
    table = repness(group_counts)
    summaries = [
        GroupSummary(
            int(label),
            int((labels == label).sum()),
            [
                _representative(table, group_counts, row, col, votes.statement_ids)
                for col in representative_columns(table, row, settings.statements_per_group)
            ],
        )
        for row, label in enumerate(group_labels)
    ]
    state = MapState(
        votes.statement_ids,
        components.basis,
        votes.participant_ids[fit_rows],
        labels,
        centroids,
        group_labels,
    )
    return OpinionMap(
        participant_ids=votes.participant_ids,
        coordinates=coordinates,
        groups=groups,
        statement_ids=votes.statement_ids,
        group_labels=group_labels,
        group_counts=group_counts,
        total_counts=total_counts,
        repness=table,
        consensus=consensus(total_counts, settings.consensus_statements),
        group_informed_consensus=group_informed_consensus(group_counts),
        summaries=summaries,
        explained_variance_ratio=components.singular_values**2 / (components.total_variance or 1.0),
        pca_iterations=components.iterations,
        state=state,
    )


def _previous_basis(previous: MapState, statement_ids: IntArray) -> FloatArray:
    """The previous axes re-indexed to today's statements (new statements start at 0)."""
    basis = np.zeros((statement_ids.size, previous.basis.shape[1]))
    position = np.searchsorted(previous.statement_ids, statement_ids)
    position = np.minimum(position, max(previous.statement_ids.size - 1, 0))
    known = previous.statement_ids[position] == statement_ids if previous.statement_ids.size else position < 0
    basis[known] = previous.basis[position[known]]
    return basis


def _cluster(
    points: FloatArray, ids: IntArray, settings: MapSettings, previous: MapState | None
) -> tuple[IntArray, FloatArray]:
    """Group labels for `points` and the centroids (rows ordered by sorted label)."""
    n = points.shape[0]
    rows_as_bytes = np.ascontiguousarray(points).view(
        np.dtype((np.void, points.dtype.itemsize * points.shape[1]))
    )
    distinct = np.unique(rows_as_bytes).size
    min_size = max(2, int(np.ceil(settings.min_group_share * n)))
    if previous is None:
        candidates = list(range(2, settings.max_groups + 1))
    else:
        k_prev = previous.group_labels.size
        candidates = [k for k in (k_prev - 1, k_prev, k_prev + 1) if 2 <= k <= settings.max_groups]
    # k is chosen on a seeded sample of points (all of them when few): k-means and silhouette cost
    # grow with n, the choice does not need every point; the winner is then refined on all points.
    sample = np.sort(np.random.default_rng(settings.seed).permutation(n)[: settings.k_choice_sample])
    sample_points = points[sample]
    sample_distances = _pairwise_distances(sample_points)
    sample_min_size = max(2, int(np.ceil(settings.min_group_share * sample.size)))
    best: tuple[float, IntArray, FloatArray] | None = None
    for k in candidates:
        if k > distinct or k * min_size > n:  # k groups need k distinct points, no more
            continue
        warm = previous is not None and previous.centroids.shape == (k, points.shape[1])
        model = _fit(
            KMeans(
                n_clusters=k,
                init=previous.centroids if warm and previous is not None else "k-means++",
                n_init=1 if warm else settings.kmeans_restarts,
                random_state=settings.seed,
            ),
            sample_points,
        )
        labels = model.labels_.astype(np.int64)
        if np.bincount(labels, minlength=k).min() < sample_min_size:
            continue
        score = _silhouette(sample_distances, labels, k)
        if best is None or score > best[0] + 1e-12:
            best = (score, labels, np.asarray(model.cluster_centers_, dtype=np.float64))
    if best is None:
        labels = np.zeros(n, dtype=np.int64)
        centres = points.mean(axis=0, keepdims=True) if n else np.zeros((0, points.shape[1]))
    elif sample.size == n:
        labels, centres = best[1], best[2]
    else:
        model = _fit(KMeans(n_clusters=best[2].shape[0], init=best[2], n_init=1), points)
        labels, centres = model.labels_.astype(np.int64), np.asarray(model.cluster_centers_, dtype=np.float64)
    mapping = _stable_labels(labels, centres, ids, previous)
    new_labels = mapping[labels]
    order = np.argsort(mapping)
    return new_labels, centres[order]


def _fit(model: KMeans, points: FloatArray) -> KMeans:
    """``model`` fitted to ``points``, without scikit-learn's warning that it found fewer distinct
    clusters than asked (points that coincide): the group left empty fails the size check, so that k is
    not chosen, and the warning, with its source path, only alarmed the officer reading the output."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(points)


def _pairwise_distances(points: FloatArray) -> npt.NDArray[np.float32]:
    """Euclidean distances in single precision: ample for comparing silhouettes, half the cost."""
    single = points.astype(np.float32)
    squared = np.einsum("ij,ij->i", single, single)
    gram = squared[:, None] + squared[None, :] - 2.0 * (single @ single.T)
    return np.sqrt(np.maximum(gram, 0.0, out=gram), out=gram)


def _silhouette(distances: npt.NDArray[np.float32], labels: IntArray, k: int) -> float:
    """Mean silhouette (Rousseeuw 1987; the definition scikit-learn's `silhouette_score` uses).

    One distance matrix serves every candidate k, so each k costs a single matrix product.
    a(i): mean distance to the others in i's cluster; b(i): least mean distance to another
    cluster; s(i) = (b - a) / max(a, b), and 0 for members of single-point clusters.
    """
    onehot = np.zeros((labels.size, k), dtype=np.float32)
    onehot[np.arange(labels.size), labels] = 1.0
    sizes = np.bincount(labels, minlength=k).astype(np.float64)
    mean_to_cluster = (distances @ onehot).astype(np.float64) / np.maximum(sizes, 1.0)
    own_size = sizes[labels]
    own = np.arange(labels.size), labels
    a = mean_to_cluster[own] * own_size / np.maximum(own_size - 1.0, 1.0)
    mean_to_cluster[own] = np.inf
    b = mean_to_cluster.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(own_size > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(np.nan_to_num(s).mean())


def _stable_labels(
    labels: IntArray, centres: FloatArray, ids: IntArray, previous: MapState | None
) -> IntArray:
    """mapping[cluster] = published label.

    Fresh maps: largest group 0, then by size (ties: smallest member id). Refreshes: Hungarian
    assignment maximising members shared with each previous group (centroid distance breaks ties);
    clusters left over take the smallest unused labels.
    """
    k = centres.shape[0]
    sizes = np.bincount(labels, minlength=k)
    first_member = np.array(
        [ids[labels == c].min() if sizes[c] else np.iinfo(np.int64).max for c in range(k)]
    )
    by_size = np.lexsort((first_member, -sizes))
    mapping = np.empty(k, dtype=np.int64)
    if previous is None or previous.group_labels.size == 0:
        mapping[by_size] = np.arange(k)
        return mapping
    old_labels = previous.group_labels
    overlap = np.zeros((k, old_labels.size))
    common, here, there = np.intersect1d(ids, previous.participant_ids, return_indices=True)
    if common.size:
        old_row = np.searchsorted(old_labels, previous.labels[there])
        np.add.at(overlap, (labels[here], old_row), 1.0)
    cost = -overlap
    if previous.centroids.shape[1] == centres.shape[1]:
        distance = np.linalg.norm(centres[:, None, :] - previous.centroids[None, :, :], axis=2)
        cost = cost + 1e-3 * distance / (distance.max() or 1.0)
    rows, cols = linear_sum_assignment(cost)
    mapping[:] = -1
    mapping[rows] = old_labels[cols]
    unused = [label for label in range(MAX_ALLOWED_GROUPS) if label not in set(old_labels[cols].tolist())]
    for cluster in by_size:
        if mapping[cluster] < 0:
            mapping[cluster] = unused.pop(0)
    return mapping


def _count_by_group(
    votes: sparse.csr_array, groups: IntArray, group_labels: IntArray
) -> tuple[VoteCounts, VoteCounts]:
    """Agree / disagree / seen counts per group and over everyone.

    One bincount over codes ``(bucket * n_statements + statement) * 3 + (vote + 1)``, where bucket is
    the group's row (k for the ungrouped), in row blocks that bound temporary memory.
    """
    k, n_cols = group_labels.size, votes.shape[1]
    bucket = np.where(groups >= 0, np.searchsorted(group_labels, groups), k).astype(np.int64)
    size = (k + 1) * n_cols * 3
    tallies = np.zeros(size, dtype=np.int64)
    block_starts = (
        np.searchsorted(votes.indptr, np.arange(0, votes.indptr[-1], COUNT_BLOCK_VOTES), side="right") - 1
    )
    for first, last in zip(block_starts, [*block_starts[1:], votes.shape[0]], strict=True):
        begin, end = votes.indptr[first], votes.indptr[last]
        row_code = np.repeat(bucket[first:last] * (n_cols * 3), np.diff(votes.indptr[first : last + 1]))
        row_code += votes.indices[begin:end] * 3
        row_code += votes.data[begin:end] + 1
        tallies += np.bincount(row_code, minlength=size)
    by_vote = tallies.reshape(k + 1, n_cols, 3).astype(np.float64)  # last axis: disagree, pass, agree
    agree, disagree, seen = by_vote[:, :, 2], by_vote[:, :, 0], by_vote.sum(axis=2)
    by_group = VoteCounts(agree[:k], disagree[:k], seen[:k])
    return by_group, VoteCounts(agree.sum(axis=0), disagree.sum(axis=0), seen.sum(axis=0))


def _representative(
    table: Repness, counts: VoteCounts, row: int, col: int, statement_ids: IntArray
) -> RepresentativeStatement:
    agrees = bool(table.agrees[row, col])
    successes = counts.agree if agrees else counts.disagree
    return RepresentativeStatement(
        statement_id=int(statement_ids[col]),
        agrees=agrees,
        n_success=int(successes[row, col]),
        n_seen=int(counts.seen[row, col]),
        p_success=float(table.p_success[row, col]),
        repness=float(table.ratio[row, col]),
        repness_test=float(table.ratio_test[row, col]),
    )
