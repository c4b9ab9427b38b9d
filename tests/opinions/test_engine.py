"""The opinion map's guarantees: planted groups found, deterministic, stable labels, robust to bots."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import pearsonr
from sklearn.metrics import adjusted_rand_score

from civicforum.opinions import UNCLUSTERED, MapSettings, MapState, VoteMatrix, compute_map
from civicforum.opinions.synthetic import RANDOM_VOTER, planted_conversation


@pytest.mark.parametrize(("n_groups", "seed"), [(3, 1), (4, 2), (5, 3), (6, 4)])
def test_planted_groups_are_recovered(n_groups, seed):
    """Unequal groups, each person sees 10-60% of 300 statements, 10% passes, 6 random voters."""
    conversation = planted_conversation(1200, 300, n_groups, seed=seed, random_voters=6)
    result = compute_map(conversation.votes, settings=MapSettings(max_groups=6, seed=seed))
    genuine = conversation.planted != RANDOM_VOTER
    assert result.group_labels.size == n_groups
    assert adjusted_rand_score(conversation.planted[genuine], result.groups[genuine]) >= 0.99


def test_row_order_does_not_change_the_map():
    conversation = planted_conversation(400, 80, 3, seed=5)
    participants, statements, votes = conversation.votes.rows()
    order = np.random.default_rng(1).permutation(participants.size)
    shuffled = VoteMatrix.from_rows(participants[order], statements[order], votes[order])
    first = compute_map(conversation.votes, settings=MapSettings(seed=9))
    second = compute_map(shuffled, settings=MapSettings(seed=9))
    np.testing.assert_array_equal(first.groups, second.groups)
    np.testing.assert_array_equal(first.coordinates, second.coordinates)
    np.testing.assert_array_equal(first.repness.metric, second.repness.metric)


def test_refresh_after_new_votes_keeps_labels():
    conversation = planted_conversation(2000, 200, 4, seed=6, random_voters=10)
    before = compute_map(conversation.votes, settings=MapSettings(seed=2))
    rng = np.random.default_rng(3)
    n_new = conversation.votes.n_votes // 100
    votes = conversation.votes.with_votes(
        rng.integers(0, 2000, n_new), rng.integers(0, 200, n_new), rng.choice([-1, 0, 1], n_new)
    )
    after = compute_map(votes, settings=MapSettings(seed=2), previous=before.state)
    assert after.group_labels.tolist() == before.group_labels.tolist()
    assert np.mean(after.groups == before.groups) >= 0.99
    # The axes keep their orientation, so nobody jumps across the map.
    assert pearsonr(before.x, after.x).statistic > 0.99 and pearsonr(before.y, after.y).statistic > 0.99


def test_state_survives_a_round_trip_through_bytes():
    conversation = planted_conversation(300, 60, 3, seed=2)
    state = compute_map(conversation.votes, settings=MapSettings(seed=1)).state
    restored = MapState.from_bytes(state.to_bytes())
    for name in ("statement_ids", "basis", "participant_ids", "labels", "centroids", "group_labels"):
        np.testing.assert_array_equal(getattr(restored, name), getattr(state, name))


def test_refresh_follows_previous_labels_even_when_a_fresh_map_would_number_groups_differently():
    conversation = planted_conversation(1000, 200, 3, seed=8)
    fresh = compute_map(conversation.votes, settings=MapSettings(seed=1))
    renumber = np.array([2, 0, 1])  # fresh label -> label the previous map had used
    old = fresh.state
    previous = MapState(
        old.statement_ids,
        old.basis,
        old.participant_ids,
        renumber[old.labels],
        old.centroids[np.argsort(renumber)],
        np.sort(renumber),
    )
    refreshed = compute_map(conversation.votes, settings=MapSettings(seed=1), previous=previous)
    clustered = fresh.groups != UNCLUSTERED
    np.testing.assert_array_equal(refreshed.groups[clustered], renumber[fresh.groups[clustered]])
    assert [s.label for s in refreshed.summaries] == [0, 1, 2]


def with_bots(votes: VoteMatrix, n_bots: int, seed: int) -> VoteMatrix:
    """Add bots that agree with everything, and as many that vote at random on everything."""
    rng = np.random.default_rng(seed)
    first = int(votes.participant_ids.max()) + 1
    bots = np.repeat(np.arange(first, first + 2 * n_bots), votes.n_statements)
    statements = np.tile(votes.statement_ids, 2 * n_bots)
    ballots = np.concatenate(
        [np.ones(n_bots * votes.n_statements), rng.choice([-1, 1], n_bots * votes.n_statements)]
    )
    return votes.with_votes(bots, statements, ballots)


def test_bots_neither_form_a_group_nor_move_the_map():
    conversation = planted_conversation(1000, 150, 3, seed=11, random_voters=0)
    clean = compute_map(conversation.votes, settings=MapSettings(seed=4))
    attacked = compute_map(with_bots(conversation.votes, 10, seed=2), settings=MapSettings(seed=4))
    people = slice(0, 1000)
    assert attacked.group_labels.size == clean.group_labels.size == 3
    assert adjusted_rand_score(clean.groups, attacked.groups[people]) >= 0.98
    assert abs(pearsonr(clean.x, attacked.x[people]).statistic) > 0.98
    assert abs(pearsonr(clean.y, attacked.y[people]).statistic) > 0.95
    # No group is made mostly of bots.
    bot_groups = attacked.groups[1000:]
    for label in attacked.group_labels:
        assert (bot_groups == label).sum() < 0.5 * (attacked.groups == label).sum()


vote_sets = st.integers(min_value=0, max_value=2**31 - 1).flatmap(
    lambda seed: st.tuples(
        st.just(seed), st.integers(1, 40), st.integers(1, 12), st.floats(0.05, 1.0), st.integers(1, 8)
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vote_sets, st.integers(2, 9))
def test_any_vote_set_gives_a_consistent_map(params, max_groups):
    seed, n_people, n_statements, density, min_votes = params
    rng = np.random.default_rng(seed)
    seen = rng.random((n_people, n_statements)) < density
    seen[:, 0] |= ~seen.any(axis=1)  # everyone voted at least once
    people, statements = np.nonzero(seen)
    votes = VoteMatrix.from_rows(people * 3 + 1, statements * 2, rng.choice([-1, 0, 1], people.size))
    config = MapSettings(min_votes=min_votes, max_groups=max_groups, seed=seed % 1000)
    result = compute_map(votes, settings=config)

    grouped = result.groups != UNCLUSTERED
    enough = votes.votes_per_participant() >= min(min_votes, votes.n_statements)
    np.testing.assert_array_equal(grouped, enough)
    assert set(result.groups[grouped].tolist()) == set(result.group_labels.tolist()) or not grouped.any()
    assert result.group_labels.size <= max_groups
    assert np.isfinite(result.coordinates).all()
    total = result.total_counts
    np.testing.assert_array_equal(total.seen, np.unique(statements, return_counts=True)[1])
    assert (total.passed >= 0).all()
    assert (result.group_counts.seen.sum(axis=0) <= total.seen).all()
    if result.group_labels.size:
        assert ((result.group_informed_consensus > 0) & (result.group_informed_consensus < 1)).all()

    # Same votes in another order: the same map.
    order = rng.permutation(people.size)
    participants, statement_ids, values = votes.rows()
    shuffled = VoteMatrix.from_rows(participants[order], statement_ids[order], values[order])
    np.testing.assert_array_equal(compute_map(shuffled, settings=config).groups, result.groups)

    # A refresh from its own state keeps every label in range.
    refreshed = compute_map(votes, settings=config, previous=result.state)
    assert set(refreshed.group_labels.tolist()) <= set(range(9))


def test_two_camps_voting_as_blocs_are_two_groups():
    """Two camps of 20, each voting exactly alike, agree on statement 0 and oppose each other on 1-3.
    Before, k was refused unless the points had more than k distinct positions, so the two positions
    here made one group of 40."""
    rows = [(p, s, 1 if s == 0 or p < 20 else -1) for p in range(40) for s in range(4)]
    result = compute_map(VoteMatrix.from_rows(*zip(*rows, strict=True)), settings=MapSettings(min_votes=4))
    assert result.group_labels.tolist() == [0, 1]
    assert adjusted_rand_score(np.arange(40) < 20, result.groups) == 1.0
    one_camp = [(p, s, 1) for p in range(40) for s in range(4)]  # one position: still one group
    assert (
        compute_map(
            VoteMatrix.from_rows(*zip(*one_camp, strict=True)), settings=MapSettings()
        ).group_labels.size
        == 1
    )
