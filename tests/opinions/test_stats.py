"""Pol.is statistics on counts small enough to work out by hand (see the formulas in stats.py)."""

import numpy as np
import pytest

from civicforum.opinions.stats import (
    VoteCounts,
    consensus,
    group_informed_consensus,
    prop_test,
    repness,
    representative_columns,
    two_prop_test,
)

# Two groups of 10, two statements.
# Statement 0 divides: group 0 agrees 8 / disagrees 1 / passes 1; group 1 agrees 2 / disagrees 6 / passes 2.
# Statement 1 is shared: both groups agree 9 of 10.
GROUPS = VoteCounts(
    agree=np.array([[8.0, 9.0], [2.0, 9.0]]),
    disagree=np.array([[1.0, 0.0], [6.0, 1.0]]),
    seen=np.array([[10.0, 10.0], [10.0, 10.0]]),
)


def test_one_and_two_proportion_tests_match_hand_computation():
    # 2 * sqrt(11) * (9/11 - 1/2)
    assert prop_test(np.array(8.0), np.array(10.0)) == pytest.approx(2.1105794, abs=1e-6)
    # p1 = 9/11, p2 = 3/11, pooled = 12/22: (6/11) / sqrt(6/11 * 5/11 * 2/11)
    assert two_prop_test(np.array(8.0), np.array(2.0), np.array(10.0), np.array(10.0)) == pytest.approx(
        2.5690467, abs=1e-6
    )
    # Everybody agrees in and out of the group: the pooled share is 1 and the test is defined as 0.
    assert two_prop_test(np.array(5.0), np.array(5.0), np.array(5.0), np.array(5.0)) == 0.0


def test_repness_chooses_direction_and_requires_both_tests():
    table = repness(GROUPS)
    # Group 0 on statement 0: distinctive by agreeing; ratio (9/12) / (3/12) = 3; both z > 1.2816.
    assert table.agrees[0, 0]
    assert table.p_success[0, 0] == pytest.approx(0.75)
    assert table.ratio[0, 0] == pytest.approx(3.0)
    assert table.ratio_test[0, 0] == pytest.approx(2.5690467, abs=1e-6)
    assert table.significant[0, 0]
    # Group 1 on statement 0: distinctive by disagreeing, ratio (7/12) / (2/12) = 3.5, z vs rest 2.1681,
    # but 6 of 10 is not significantly above one half (z = 0.9045), so it is not significant.
    assert not table.agrees[1, 0]
    assert table.ratio[1, 0] == pytest.approx(3.5)
    assert table.ratio_test[1, 0] == pytest.approx(2.1681455, abs=1e-6)
    assert table.p_test[1, 0] == pytest.approx(0.9045340, abs=1e-6)
    assert not table.significant[1, 0]
    # Shared statement: nobody is distinctive.
    assert not table.significant[:, 1].any()


def test_representative_statements_fall_back_to_strongest_when_none_significant():
    table = repness(GROUPS)
    assert representative_columns(table, 0, limit=5) == [0]
    # Group 1 has nothing significant: it still gets its strongest statement against the rest.
    assert representative_columns(table, 1, limit=5) == [0]


def test_consensus_needs_a_significant_majority():
    total = VoteCounts(GROUPS.agree.sum(axis=0), GROUPS.disagree.sum(axis=0), GROUPS.seen.sum(axis=0))
    result = consensus(total, limit=5)
    # Statement 1: 18 of 20 agree: p = 19/22, z = 2 * sqrt(21) * (19/21 - 1/2); score p * z.
    assert result.agree_score[1] == pytest.approx(19 / 22 * 2 * np.sqrt(21) * (19 / 21 - 0.5))
    assert result.agree_columns == [1]
    # Statement 0: 10 of 20 agree, p = 11/22 = 1/2 exactly, which is not a majority.
    assert result.disagree_columns == []


def test_group_informed_consensus_is_product_of_smoothed_agreement():
    gic = group_informed_consensus(GROUPS)
    assert gic[0] == pytest.approx((9 / 12) * (3 / 12))
    assert gic[1] == pytest.approx((10 / 12) * (10 / 12))
