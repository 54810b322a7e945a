"""The storage side of an agreement's life: payments settle installments, the last one
completes the agreement, an installment unpaid past the grace days breaks it.

Everything here runs inside the conversation's transaction (see `bot.effects.payments`), so
the payment row, the installment, the agreement, the debts and the dialog's reply commit
together or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from dialogs.flow.events import PaymentConfirmed
from dialogs.negotiation.policy import Policy
from storage import AgreementRow, InstallmentRow, UnitOfWork

log = logging.getLogger(__name__)

CHECK_KIND = "installment_check"
CHECK_HOUR = time(9, 0)  # local time of the late check: inside the contact window
OPEN = ("pending", "late")
SETTLED = ("paid", "cancelled")


def check_key(agreement_id: int, number: int | None = None) -> str:
    """The late-check job key; without `number`, the prefix of every check of the agreement.

    Numbers are zero-padded so that cancelling installment 1 never touches installment 10.
    """
    prefix = f"{CHECK_KIND}:{agreement_id}:"
    return prefix if number is None else f"{prefix}{number:03d}"


def check_ref(agreement_id: int, number: int) -> str:
    """`ReminderDue.ref` of a late check, read back by the dialog and the ingester."""
    return f"{agreement_id}:{number}"


def parse_check_ref(ref: str) -> tuple[int, int] | None:
    agreement, _, number = ref.partition(":")
    if agreement.isdigit() and number.isdigit():
        return int(agreement), int(number)
    return None


def check_time(installment: InstallmentRow, policy: Policy) -> datetime:
    """When to look for a late installment: the morning after its grace days end."""
    day = installment.due_date + timedelta(days=policy.offers.agreement_grace_days + 1)
    return datetime.combine(day, CHECK_HOUR, tzinfo=policy.contact.zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    payment_id: int
    matches: bool  # the amount settles what was still due on the installment
    completed: bool  # ... and it was the last one


def payment_external_id(event: PaymentConfirmed) -> str:
    """The payment's idempotency key; an agent marking an installment twice counts once."""
    if event.external_id:
        return event.external_id
    return f"{event.source}:{event.agreement_id}:{event.installment_number}"


async def apply_payment(
    tx: UnitOfWork, event: PaymentConfirmed, now: datetime
) -> PaymentOutcome | None:
    """Record the payment; settle the installment when the amount is what was due.

    Any other amount (partial, too much, a second payment, a finished agreement) is recorded
    flagged for an agent and changes nothing else. None: nothing recorded (unknown
    installment, or this external id was recorded before).
    """
    agreement = await tx.agreements.get(event.agreement_id)
    installment = _installment(agreement, event.installment_number)
    if agreement is None or installment is None:
        log.warning("payment for an unknown installment ignored")
        return None
    received = await _received(tx, agreement.id, installment.id)
    due = installment.amount_cents - received
    matches = (
        agreement.status == "active"
        and installment.status in OPEN
        and due > 0
        and event.amount_cents == due
    )
    payment_id = await tx.agreements.record_payment(
        agreement.id,
        event.amount_cents,
        event.paid_at,
        event.source,
        payment_external_id(event),
        installment_id=installment.id,
        flagged=not matches,
        note=event.note or None,
    )
    if payment_id is None:
        return None
    completed = False
    if matches:
        await tx.agreements.mark_installment_paid(
            installment.id, received + event.amount_cents, event.paid_at
        )
        await tx.jobs.cancel_prefix(check_key(agreement.id, installment.number))
        others_open = any(
            i.status not in SETTLED for i in agreement.installments if i.id != installment.id
        )
        if not others_open:
            await tx.agreements.set_status(agreement.id, "completed", now=now)
            await tx.debtors.set_debt_status(agreement.debt_ids, "paid", now=now)
            await tx.jobs.cancel_prefix(check_key(agreement.id))
            completed = True
    await tx.audit.record(
        event.source,
        "payment_recorded" if matches else "payment_flagged",
        f"agreement:{agreement.id}",
        {
            "installment": installment.number,
            "amount_cents": event.amount_cents,
            "due_cents": max(due, 0),
            "payment_id": payment_id,
        },
        now=now,
    )
    return PaymentOutcome(payment_id, matches, completed)


async def check_installment(
    tx: UnitOfWork, agreement_id: int, number: int, policy: Policy, now: datetime
) -> bool:
    """The late check: mark the installment late, and past the grace days break the
    agreement. True when it broke now; a paid installment or a finished agreement is left
    alone, and so is one whose payments (flagged, under review) already cover it."""
    agreement = await tx.agreements.get(agreement_id)
    installment = _installment(agreement, number)
    if agreement is None or installment is None or agreement.status != "active":
        return False
    if installment.status in SETTLED:
        return False
    today = now.astimezone(policy.contact.zone).date()
    if today <= installment.due_date:
        return False
    if await _received(tx, agreement.id, installment.id) >= installment.amount_cents:
        return False  # paid, but the amount is waiting for an agent's review
    if installment.status != "late":
        await tx.agreements.set_installment_status(installment.id, "late")
    if today <= installment.due_date + timedelta(days=policy.offers.agreement_grace_days):
        return False
    await break_agreement(tx, agreement, now)
    return True


async def break_agreement(tx: UnitOfWork, agreement: AgreementRow, now: datetime) -> None:
    """Broken: the agreement ends, its debts open again with what was paid deducted.

    Payments are applied to the debts oldest first, up to each one's principal; a debt fully
    covered is paid. Installments not yet due are cancelled; the late ones stay late.
    """
    for installment in agreement.installments:
        if installment.status == "pending":
            await tx.agreements.set_installment_status(installment.id, "cancelled")
    await tx.agreements.set_status(agreement.id, "broken", now=now)
    paid = sum(i.paid_cents for i in agreement.installments if i.status == "paid")
    debts = [
        d
        for d in await tx.debtors.debts(agreement.debtor_id, include_paid=True)
        if d.id in agreement.debt_ids
    ]
    left = paid
    for debt in sorted(debts, key=lambda d: (d.due_date, d.id)):
        applied = min(left, max(0, debt.principal_cents - debt.paid_cents))
        left -= applied
        now_paid = debt.paid_cents + applied
        status = "paid" if now_paid >= debt.principal_cents else "open"
        await tx.debtors.set_debt_paid(debt.id, now_paid, status, now=now)
    await tx.jobs.cancel_prefix(check_key(agreement.id))
    await tx.audit.record(
        "system",
        "agreement_broken",
        f"agreement:{agreement.id}",
        {"paid_cents": paid},
        now=now,
    )


def _installment(agreement: AgreementRow | None, number: int) -> InstallmentRow | None:
    if agreement is None:
        return None
    return next((i for i in agreement.installments if i.number == number), None)


async def _received(tx: UnitOfWork, agreement_id: int, installment_id: int) -> int:
    """Everything recorded against one installment so far, flagged partials included."""
    return sum(
        p.amount_cents
        for p in await tx.agreements.payments(agreement_id)
        if p.installment_id == installment_id
    )
