"""The priority score: each signal counts linearly up to its cap, weighted by the policy."""

from __future__ import annotations

from decimal import Decimal

from dialogs.negotiation.policy import default_policy
from dialogs.ranking import RankingSignals, priority

RANKING = default_policy().ranking


def test_nothing_owed_nothing_late_scores_zero() -> None:
    assert priority(RankingSignals(0, 0, 0, 0), RANKING) == Decimal("0.00")


def test_every_signal_at_its_cap_scores_the_sum_of_the_weights() -> None:
    assert priority(RankingSignals(10**9, 10**4, 10**3, 50), RANKING) == Decimal("100.00")


def test_hand_computed_mix() -> None:
    # 40 × 1000/5000 + 30 × 90/180 + 20 × 5/10 + 10 × 1/3 = 8 + 15 + 10 + 3.33
    signals = RankingSignals(owed_cents=100000, days_late=90, engagement=5, broken_promises=1)
    assert priority(signals, RANKING) == Decimal("36.33")


def test_a_bigger_older_debt_comes_first() -> None:
    small = priority(RankingSignals(20000, 10, 0, 0), RANKING)
    large = priority(RankingSignals(300000, 120, 0, 0), RANKING)
    assert large > small


def test_negative_weight_pushes_debtors_down() -> None:
    ranking = RANKING.model_copy(update={"broken_promises_weight": Decimal(-10)})
    kept = priority(RankingSignals(100000, 90, 5, 0), ranking)
    broke = priority(RankingSignals(100000, 90, 5, 3), ranking)
    assert broke == kept - 10
