"""The escalation queue as agents see it: who waits, why, for how long, owing how much.

Priority mixes the three things a team lead would weigh: the reason ("talk to a person" and
disputes first), the waiting time and the amount. The reason tier always dominates; within
a tier a long wait or a large debt moves a chat up.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from dialogs.flow.escalation import PRIORITY
from dialogs.negotiation.charges import compute_charges
from dialogs.negotiation.policy import Policy
from storage import UnitOfWork
from storage.rows import EscalationRow

REASON_LABELS = {
    "human_requested": "Pediu uma pessoa",
    "dispute": "Contestação",
    "already_paid": "Diz que já pagou",
    "not_recognised": "Não reconhece a dívida",
    "payment_mismatch": "Pagamento divergente",
    "abuse": "Linguagem agressiva",
    "counter_offer_outside_policy": "Contraproposta fora da política",
    "offer_stalled": "Negociação parada",
    "not_understood": "Bot não entendeu",
}
OPEN_STATUSES = frozenset({"open", "negotiating"})
TIER = 10_000
MAX_WAIT_POINTS = 6_000  # minutes; after ~4 days waiting, waiting longer adds nothing
MAX_AMOUNT_POINTS = 3_000  # one point per R$ 10,00, up to R$ 30.000,00


@dataclass(frozen=True, slots=True)
class QueueItem:
    escalation: EscalationRow
    channel: str
    debtor_name: str
    total_cents: int
    waiting_minutes: int
    score: int

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.escalation.reason, self.escalation.reason)


def priority_score(reason: str, total_cents: int, waiting_minutes: int) -> int:
    tier = PRIORITY.get(reason, 0)
    return (
        tier * TIER
        + min(max(waiting_minutes, 0), MAX_WAIT_POINTS)
        + min(total_cents // 1_000, MAX_AMOUNT_POINTS)
    )


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
        waiting = int((now - row.created_at).total_seconds() // 60)
        items.append(
            QueueItem(
                escalation=row,
                channel=conv.channel,
                debtor_name=debtor.name.split()[0].title() if debtor else "",
                total_cents=total,
                waiting_minutes=waiting,
                score=priority_score(row.reason, total, waiting),
            )
        )
    items.sort(key=lambda item: (-item.score, item.escalation.created_at, item.escalation.id))
    return items


def counts_per_reason(items: list[QueueItem]) -> list[tuple[str, int]]:
    counted = Counter(item.reason_label for item in items)
    return sorted(counted.items(), key=lambda pair: (-pair[1], pair[0]))
