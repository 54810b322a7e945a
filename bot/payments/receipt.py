"""An agreement's receipt: its installments and every payment made, for the debtor and the
agent console alike.

`agreement_summary` reads the facts (plain data the console can show as it likes);
`receipt_text` phrases them for the debtor from the catalogs, one line per fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.i18n import render
from dialogs.flow.actions import Message, Money, ParamValue
from storage import UnitOfWork


@dataclass(frozen=True, slots=True)
class InstallmentLine:
    number: int
    amount_cents: int
    due_date: date
    status: str  # pending | paid | late | cancelled
    paid_cents: int
    paid_at: datetime | None


@dataclass(frozen=True, slots=True)
class PaymentLine:
    payment_id: int
    installment_number: int | None
    amount_cents: int
    paid_at: datetime
    source: str  # webhook | reconciliation | agent
    external_id: str
    flagged: bool  # amount differed from what was due: an agent reviews it
    note: str | None


@dataclass(frozen=True, slots=True)
class AgreementSummary:
    agreement_id: int
    debtor_id: int
    conversation_id: int | None
    status: str  # active | completed | broken | cancelled
    payment_channel: str
    total_cents: int
    discount_cents: int
    created_at: datetime
    completed_at: datetime | None
    debt_ids: tuple[int, ...]
    installments: tuple[InstallmentLine, ...]
    payments: tuple[PaymentLine, ...]

    @property
    def paid_cents(self) -> int:
        """Accepted payments: what settled installments."""
        return sum(i.paid_cents for i in self.installments if i.status == "paid")

    @property
    def left_cents(self) -> int:
        """What is still to pay on installments that are due or coming."""
        return sum(i.amount_cents for i in self.installments if i.status in ("pending", "late"))

    @property
    def under_review(self) -> tuple[PaymentLine, ...]:
        return tuple(p for p in self.payments if p.flagged)


async def agreement_summary(tx: UnitOfWork, agreement_id: int) -> AgreementSummary | None:
    """The agreement with its installments and payments; None if there is no such agreement."""
    agreement = await tx.agreements.get(agreement_id)
    if agreement is None:
        return None
    numbers = {i.id: i.number for i in agreement.installments}
    payments = await tx.agreements.payments(agreement_id)
    return AgreementSummary(
        agreement_id=agreement.id,
        debtor_id=agreement.debtor_id,
        conversation_id=agreement.conversation_id,
        status=agreement.status,
        payment_channel=agreement.payment_channel,
        total_cents=agreement.total_cents,
        discount_cents=agreement.discount_cents,
        created_at=agreement.created_at,
        completed_at=agreement.completed_at,
        debt_ids=agreement.debt_ids,
        installments=tuple(
            InstallmentLine(i.number, i.amount_cents, i.due_date, i.status, i.paid_cents, i.paid_at)
            for i in agreement.installments
        ),
        payments=tuple(
            PaymentLine(
                payment_id=p.id,
                installment_number=numbers.get(p.installment_id) if p.installment_id else None,
                amount_cents=p.amount_cents,
                paid_at=p.paid_at,
                source=p.source,
                external_id=p.external_id,
                flagged=p.flagged,
                note=p.note,
            )
            for p in payments
        ),
    )


async def debtor_agreement_summaries(tx: UnitOfWork, debtor_id: int) -> list[AgreementSummary]:
    """Every agreement of one debtor, oldest first (the console's debtor panel)."""
    summaries = [
        await agreement_summary(tx, a.id) for a in await tx.agreements.for_debtor(debtor_id)
    ]
    return [s for s in summaries if s is not None]


def receipt_text(summary: AgreementSummary, locale: str, zone: ZoneInfo) -> str:
    """The receipt as the debtor reads it: one short line per installment and total."""
    count = len(summary.installments)

    def line(message_id: str, **params: ParamValue) -> str:
        return render(Message(message_id, params), locale)

    lines = [
        line(
            "receipt.header",
            number=summary.agreement_id,
            count=count,
            amount=Money(summary.total_cents),
        )
    ]
    for item in summary.installments:
        if item.status == "paid":
            paid_on = item.paid_at.astimezone(zone).date() if item.paid_at else item.due_date
            lines.append(
                line(
                    "receipt.paid",
                    number=item.number,
                    count=count,
                    amount=Money(item.paid_cents),
                    due=paid_on,
                )
            )
        else:
            message_id = {
                "late": "receipt.late",
                "cancelled": "receipt.cancelled",
            }.get(item.status, "receipt.open")
            lines.append(
                line(
                    message_id,
                    number=item.number,
                    count=count,
                    amount=Money(item.amount_cents),
                    due=item.due_date,
                )
            )
    for payment in summary.under_review:
        lines.append(
            line(
                "receipt.review",
                amount=Money(payment.amount_cents),
                due=payment.paid_at.astimezone(zone).date(),
            )
        )
    lines.append(line("receipt.paid_total", amount=Money(summary.paid_cents)))
    if summary.status == "completed":
        when = summary.completed_at or summary.created_at
        lines.append(line("receipt.completed", due=when.astimezone(zone).date()))
    elif summary.status == "broken":
        lines.append(line("receipt.broken"))
    elif summary.left_cents:
        lines.append(line("receipt.left", amount=Money(summary.left_cents)))
    return "\n".join(lines)
