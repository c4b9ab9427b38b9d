"""Statement statistics: representativeness, consensus and group-informed consensus.

Formulas follow Pol.is (compdemocracy/polis, `math/src/polismath/math/repness.clj` and
`math/stats.clj`, AGPL-3.0; re-derived here, not copied) and red-dwarf's documentation of them.
Notation for one statement: in a set of participants, `a` agreed, `d` disagreed, `s` saw it
(agree + disagree + pass); "rest" is the union of every *other* group.

- Smoothed probabilities (a Beta(1, 1) prior, so small counts are pulled towards 1/2):
  ``p_agree = (a + 1) / (s + 2)``, ``p_disagree = (d + 1) / (s + 2)``.
- One-proportion test (is the group's agreement above one half?), Pol.is `prop-test`:
  ``z = 2 * sqrt(s + 1) * ((a + 1) / (s + 1) - 1/2)``.
- Representativeness ratio, Pol.is `ra`/`rd`: ``p_agree(group) / ((a_rest + 1) / (s_rest + 2))``.
- Two-proportion test (group vs rest), Pol.is `two-prop-test`, every count +1 as a pseudocount:
  ``p1 = (a+1)/(s+1)``, ``p2 = (a_rest+1)/(s_rest+1)``, ``p = (a+a_rest+2)/(s+s_rest+2)``,
  ``z = (p1 - p2) / sqrt(p (1 - p) (1/(s+1) + 1/(s_rest+1)))`` (0 when ``p == 1``).
- A statement represents a group by agreement when the agree two-proportion z beats the disagree
  one (Pol.is `finalize-cmt-stats`), else by disagreement. It is *significant* when both its
  one-proportion and two-proportion z exceed 1.2816 (90% one-sided, Pol.is `z-sig-90?`). Ranking
  metric (Pol.is `repness-metric`): ``ratio * ratio_z * p * p_z`` for the chosen direction.
- Consensus (Pol.is `select-consensus-comments`), over every participant: agree-consensus score
  ``p_agree * z_agree``; a statement is an agree-consensus statement when ``p_agree > 1/2`` and
  ``z_agree > 1.2816``; likewise for disagreement.
- Group-informed consensus (Pol.is "group-aware consensus", `math/conversation.clj`; red-dwarf
  `utils/stats.py` computes the same): the product over groups of the smoothed agreement
  ``(a_g + 1) / (s_g + 2)``, high only if *every* group agrees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Z_90 = 1.2816


@dataclass(frozen=True)
class VoteCounts:
    """Agree / disagree / seen counts; arrays of shape (n_statements,) or (n_groups, n_statements)."""

    agree: FloatArray
    disagree: FloatArray
    seen: FloatArray

    @property
    def passed(self) -> FloatArray:
        return self.seen - self.agree - self.disagree


def smoothed_share(successes: FloatArray, trials: FloatArray) -> FloatArray:
    return (successes + 1.0) / (trials + 2.0)


def prop_test(successes: FloatArray, trials: FloatArray) -> FloatArray:
    return 2.0 * np.sqrt(trials + 1.0) * ((successes + 1.0) / (trials + 1.0) - 0.5)


def two_prop_test(
    successes_in: FloatArray, successes_out: FloatArray, trials_in: FloatArray, trials_out: FloatArray
) -> FloatArray:
    s_in, s_out, n_in, n_out = successes_in + 1.0, successes_out + 1.0, trials_in + 1.0, trials_out + 1.0
    pooled = (s_in + s_out) / (n_in + n_out)
    variance = pooled * (1.0 - pooled) * (1.0 / n_in + 1.0 / n_out)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s_in / n_in - s_out / n_out) / np.sqrt(variance)
    return np.where(variance > 0, z, 0.0)


@dataclass(frozen=True)
class Repness:
    """Per group (rows) and statement (columns): the chosen direction's Pol.is statistics."""

    agrees: npt.NDArray[np.bool_]  # True: the group is distinctive by agreeing; False: by disagreeing
    p_success: FloatArray
    p_test: FloatArray
    ratio: FloatArray
    ratio_test: FloatArray
    significant: npt.NDArray[np.bool_]

    @property
    def metric(self) -> FloatArray:
        return self.ratio * self.ratio_test * self.p_success * self.p_test


def repness(groups: VoteCounts) -> Repness:
    """Pol.is representativeness of each statement for each group versus the other groups."""
    rest_agree = groups.agree.sum(axis=0) - groups.agree
    rest_disagree = groups.disagree.sum(axis=0) - groups.disagree
    rest_seen = groups.seen.sum(axis=0) - groups.seen
    p_agree = smoothed_share(groups.agree, groups.seen)
    p_disagree = smoothed_share(groups.disagree, groups.seen)
    agree_test = prop_test(groups.agree, groups.seen)
    disagree_test = prop_test(groups.disagree, groups.seen)
    ratio_agree = p_agree / smoothed_share(rest_agree, rest_seen)
    ratio_disagree = p_disagree / smoothed_share(rest_disagree, rest_seen)
    ratio_agree_test = two_prop_test(groups.agree, rest_agree, groups.seen, rest_seen)
    ratio_disagree_test = two_prop_test(groups.disagree, rest_disagree, groups.seen, rest_seen)
    agrees = ratio_agree_test > ratio_disagree_test
    significant = ((ratio_agree_test > Z_90) & (agree_test > Z_90)) | (
        (ratio_disagree_test > Z_90) & (disagree_test > Z_90)
    )
    return Repness(
        agrees=agrees,
        p_success=np.where(agrees, p_agree, p_disagree),
        p_test=np.where(agrees, agree_test, disagree_test),
        ratio=np.where(agrees, ratio_agree, ratio_disagree),
        ratio_test=np.where(agrees, ratio_agree_test, ratio_disagree_test),
        significant=significant & (groups.seen > 0),
    )


def representative_columns(table: Repness, group: int, limit: int) -> list[int]:
    """Columns of a group's representative statements, best first, agreements before disagreements.

    Significant statements ranked by the Pol.is metric (at most `limit`); when none is significant,
    the single statement with the strongest group-vs-rest test, so every group says something.
    """
    significant = np.flatnonzero(table.significant[group])
    if significant.size == 0:
        tests = table.ratio_test[group]
        return [int(np.argmax(tests))] if tests.size else []
    metric = table.metric[group]
    best = significant[np.lexsort((significant, -metric[significant]))][:limit]
    return sorted(best.tolist(), key=lambda col: (not table.agrees[group, col], -metric[col]))


@dataclass(frozen=True)
class Consensus:
    agree_score: FloatArray  # p_agree * z_agree over everyone
    disagree_score: FloatArray
    agree_columns: list[int]  # qualifying statements, best first
    disagree_columns: list[int]


def consensus(total: VoteCounts, limit: int) -> Consensus:
    """Pol.is consensus statements: broadly and significantly agreed (or disagreed) by everyone."""
    p_agree = smoothed_share(total.agree, total.seen)
    p_disagree = smoothed_share(total.disagree, total.seen)
    agree_test = prop_test(total.agree, total.seen)
    disagree_test = prop_test(total.disagree, total.seen)
    agree_score, disagree_score = p_agree * agree_test, p_disagree * disagree_test

    def top(score: FloatArray, p: FloatArray, test: FloatArray) -> list[int]:
        qualifying = np.flatnonzero((p > 0.5) & (test > Z_90))
        return [int(c) for c in qualifying[np.lexsort((qualifying, -score[qualifying]))][:limit]]

    return Consensus(
        agree_score,
        disagree_score,
        top(agree_score, p_agree, agree_test),
        top(disagree_score, p_disagree, disagree_test),
    )


def group_informed_consensus(groups: VoteCounts) -> FloatArray:
    """Product over groups of smoothed agreement: near 1 only when every group agrees."""
    return np.prod(smoothed_share(groups.agree, groups.seen), axis=0)
