"""The escalation queue as agents see it: who waits, why, for how long, owing how much.

Priority mixes what a team lead would weigh: the reason ("talk to a person" and disputes
first), then — within a reason tier — the debtor's ranking score (`dialogs.ranking`, the
policy's `[ranking]` weights: amount, days late, engagement, broken promises) and the
waiting time. The reason tier always dominates; one minute of waiting is one point and the
whole ranking range is worth `MAX_RANKING_POINTS` (so a top-ranked debtor goes ahead of a
bottom-ranked one who has waited up to ~50 hours longer).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Select, func, select

from bot.web.console.i18n import N_
from dialogs.flow.escalation import PRIORITY
from dialogs.negotiation.charges import compute_charges
from dialogs.negotiation.policy import Policy, RankingPolicy
from dialogs.ranking import RankingSignals, priority
from storage import UnitOfWork, tables
from storage.rows import EscalationRow

# Why the chat waits, as English msgids of the console catalog (templates: `|t`).
REASON_LABELS = {
    "human_requested": N_("Asked for a person"),
    "dispute": N_("Dispute"),
    "already_paid": N_("Says it is already paid"),
    "not_recognised": N_("Does not recognise the debt"),
    "payment_mismatch": N_("Payment mismatch"),
    "abuse": N_("Aggressive language"),
    "counter_offer_outside_policy": N_("Counter-offer outside the policy"),
    "offer_stalled": N_("Negotiation stalled"),
    "not_understood": N_("Bot did not understand"),
}
OPEN_STATUSES = frozenset({"open", "negotiating"})
TIER = 10_000
MAX_WAIT_POINTS = 6_000  # minutes; after ~4 days waiting, waiting longer adds nothing
MAX_RANKING_POINTS = 3_000  # the whole ranking range, from lowest to highest score
RANKED_STATUSES = ("open", "negotiating", "disputed")  # what `storage.reports` ranks on


@dataclass(frozen=True, slots=True)
class QueueItem:
    escalation: EscalationRow
    channel: str
    debtor_name: str
    total_cents: int
    waiting_minutes: int
    score: int
    ranking: Decimal = Decimal(0)  # the debtor's `dialogs.ranking.priority`, shown on the card

    @property
    def reason_label(self) -> str:
        """A catalog msgid (or the raw reason when it has no label)."""
        return REASON_LABELS.get(self.escalation.reason, self.escalation.reason)


def priority_score(
    reason: str, waiting_minutes: int, ranking: Decimal, policy: RankingPolicy
) -> int:
    tier = PRIORITY.get(reason, 0)
    return (
        tier * TIER
        + min(max(waiting_minutes, 0), MAX_WAIT_POINTS)
        + ranking_points(ranking, policy)
    )


def ranking_points(ranking: Decimal, policy: RankingPolicy) -> int:
    """The score's place between the lowest and highest possible, as 0..MAX_RANKING_POINTS."""
    weights = (
        policy.amount_weight,
        policy.days_late_weight,
        policy.engagement_weight,
        policy.broken_promises_weight,
    )
    lowest = sum((w for w in weights if w < 0), Decimal(0))
    highest = sum((w for w in weights if w > 0), Decimal(0))
    if highest <= lowest:
        return 0
    place = (min(max(ranking, lowest), highest) - lowest) / (highest - lowest)
    return int(place * MAX_RANKING_POINTS)


async def debtor_ranking(
    tx: UnitOfWork, debtor_id: int | None, policy: Policy, today: date
) -> Decimal:
    """The debtor's ranking score from the same signals `storage.reports` ranks on."""
    if debtor_id is None:
        return Decimal(0)
    debts = [
        d
        for d in await tx.debtors.debts(debtor_id, include_paid=True)
        if d.status in RANKED_STATUSES
    ]
    owed = sum(d.principal_cents - d.paid_cents for d in debts)
    oldest = min((d.due_date for d in debts), default=today)
    since = datetime.combine(today - timedelta(days=policy.ranking.engagement_days), time(0), UTC)
    m, c, a = tables.message, tables.conversation, tables.agreement
    engagement = await _count(
        tx,
        select(func.count())
        .select_from(m.join(c, c.c.id == m.c.conversation_id))
        .where(
            c.c.debtor_id == debtor_id,
            m.c.direction == "in",
            m.c.author == "debtor",
            m.c.created_at >= since,
        ),
    )
    broken = await _count(
        tx,
        select(func.count())
        .select_from(a)
        .where(a.c.debtor_id == debtor_id, a.c.status == "broken"),
    )
    signals = RankingSignals(owed, max((today - oldest).days, 0), engagement, broken)
    return priority(signals, policy.ranking)


async def _count(tx: UnitOfWork, query: Select[int]) -> int:
    return int((await tx.connection.execute(query)).scalar_one())


def local_today(policy: Policy, now: datetime) -> date:
    return now.astimezone(policy.contact.zone).date()


async def debtor_total(tx: UnitOfWork, debtor_id: int | None, policy: Policy, today: date) -> int:
    """What the debtor owes today (multa, juros, correção included) on debts still open."""
    if debtor_id is None:
        return 0
    snapshot = await tx.debtors.snapshot(debtor_id)
    if snapshot is None:
        return 0
    return sum(
        compute_charges(d.principal_cents, d.due_date, today, policy, d.paid_cents).total_cents
        for d in snapshot.debts
        if d.status in OPEN_STATUSES
    )


async def load_queue(tx: UnitOfWork, policy: Policy, now: datetime) -> list[QueueItem]:
    today = local_today(policy, now)
    items: list[QueueItem] = []
    for row in await tx.escalations.list_open():
        conv = await tx.conversations.get(row.conversation_id)
        if conv is None:
            continue
        debtor = await tx.debtors.get(conv.debtor_id) if conv.debtor_id else None
        total = await debtor_total(tx, conv.debtor_id, policy, today)
        ranking = await debtor_ranking(tx, conv.debtor_id, policy, today)
        waiting = int((now - row.created_at).total_seconds() // 60)
        items.append(
            QueueItem(
                escalation=row,
                channel=conv.channel,
                debtor_name=debtor.name.split()[0].title() if debtor else "",
                total_cents=total,
                waiting_minutes=waiting,
                score=priority_score(row.reason, waiting, ranking, policy.ranking),
                ranking=ranking,
            )
        )
    items.sort(key=lambda item: (-item.score, item.escalation.created_at, item.escalation.id))
    return items


def counts_per_reason(
    items: list[QueueItem], gettext: Callable[[str], str] = str
) -> list[tuple[str, int]]:
    """(label, how many), most frequent first; labels through `gettext` so ties sort as read."""
    counted = Counter(gettext(item.reason_label) for item in items)
    return sorted(counted.items(), key=lambda pair: (-pair[1], pair[0]))
