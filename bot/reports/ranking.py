"""The console's debtor list ordered by `dialogs.ranking`, with the policy's weights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dialogs.negotiation.policy import Policy
from dialogs.ranking import RankingSignals, priority
from storage.database import Database
from storage.reports import RankedDebtor, RankingFilters, RankingWeights, ranked_debtors

NO_FILTERS = RankingFilters()


def weights_from_policy(policy: Policy) -> RankingWeights:
    r = policy.ranking
    return RankingWeights(
        amount_weight=float(r.amount_weight),
        days_late_weight=float(r.days_late_weight),
        engagement_weight=float(r.engagement_weight),
        broken_promises_weight=float(r.broken_promises_weight),
        amount_cap_cents=r.amount_cap_cents,
        days_late_cap=r.days_late_cap,
        engagement_cap=r.engagement_cap,
        engagement_days=r.engagement_days,
        broken_promises_cap=r.broken_promises_cap,
    )


@dataclass(frozen=True, slots=True)
class ScoredDebtor:
    debtor: RankedDebtor
    score: Decimal


async def debtors_by_priority(
    db: Database,
    policy: Policy,
    today: date,
    filters: RankingFilters = NO_FILTERS,
    *,
    limit: int = 50,
    offset: int = 0,
) -> list[ScoredDebtor]:
    """A page of debtors with something open, highest score first, with their scores."""
    async with db.transaction(write=False) as tx:
        found = await ranked_debtors(
            tx.connection,
            tx.dialect,
            weights_from_policy(policy),
            today,
            filters=filters,
            limit=limit,
            offset=offset,
        )
    return [
        ScoredDebtor(
            d,
            priority(
                RankingSignals(d.owed_cents, d.days_late, d.engagement, d.broken_promises),
                policy.ranking,
            ),
        )
        for d in found
    ]
