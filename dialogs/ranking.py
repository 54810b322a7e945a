"""Whom to call first: a priority score per debtor from a few plain signals.

The policy's `[ranking]` weights decide what matters; each signal counts linearly up to its
cap and no further, so one huge debt cannot drown everything else. Scores run from the sum
of the negative weights to the sum of the positive ones (0 to 100 with the defaults).
`storage.reports` orders debtors with the same formula in SQL; this is the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dialogs.negotiation.policy import RankingPolicy

SCORE_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class RankingSignals:
    """What we know about one debtor when ranking."""

    owed_cents: int  # open principal not yet paid
    days_late: int  # of the oldest open debt; 0 when nothing is late
    engagement: int  # messages the debtor wrote within the policy's engagement window
    broken_promises: int  # broken agreements and promises to pay


def share(value: int, cap: int) -> Decimal:
    """How much of a signal counts: value / cap, between 0 and 1."""
    if value <= 0:
        return Decimal(0)
    if value >= cap:
        return Decimal(1)
    return Decimal(value) / Decimal(cap)


def priority(signals: RankingSignals, ranking: RankingPolicy) -> Decimal:
    """The debtor's score, rounded to cents of a point; higher means call sooner."""
    score = (
        ranking.amount_weight * share(signals.owed_cents, ranking.amount_cap_cents)
        + ranking.days_late_weight * share(signals.days_late, ranking.days_late_cap)
        + ranking.engagement_weight * share(signals.engagement, ranking.engagement_cap)
        + ranking.broken_promises_weight
        * share(signals.broken_promises, ranking.broken_promises_cap)
    )
    return score.quantize(SCORE_PLACES)
