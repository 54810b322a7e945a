"""Payments and the agreement lifecycle inside the conversation's transaction.

Ingesters (run before the dialog, whoever owns the chat): a confirmed payment is recorded and
settles its installment; a late check marks the installment late and, past the grace days,
breaks the agreement. Effects (asked by the dialog): schedule the late checks of a new
agreement; send the agreement's receipt.
"""

from __future__ import annotations

from bot.channels.base import OutboundMessage
from bot.effects.base import EffectContext, handles
from bot.effects.intake import IntakeContext, ingests
from bot.payments.ledger import (
    CHECK_KIND,
    apply_payment,
    check_installment,
    check_key,
    check_ref,
    check_time,
    parse_check_ref,
)
from bot.payments.receipt import agreement_summary, receipt_text
from dialogs.flow.actions import SendAgreementSummary, WatchInstallments
from dialogs.flow.events import Event, PaymentConfirmed, ReminderDue
from dialogs.frozen import evolve
from storage import NewJob


@ingests(PaymentConfirmed)
async def ingest_payment(event: PaymentConfirmed, ix: IntakeContext) -> Event | None:
    """Record it; the dialog then thanks the debtor, or flags a differing amount."""
    outcome = await apply_payment(ix.tx, event, ix.now)
    if outcome is None:
        return None
    return evolve(event, matches_installment=outcome.matches)


@ingests(ReminderDue)
async def ingest_reminder(event: ReminderDue, ix: IntakeContext) -> Event | None:
    """Late checks break agreements here; other reminders go to the dialog untouched."""
    if event.kind != CHECK_KIND:
        return event
    ref = parse_check_ref(event.ref)
    if ref is None:
        return None
    broke = await check_installment(ix.tx, ref[0], ref[1], ix.policy, ix.now)
    return event if broke else None


@handles(WatchInstallments)
async def watch_installments(action: WatchInstallments, fx: EffectContext) -> Event | None:
    agreement_id = action.agreement_id or fx.created_agreement
    agreement = await fx.agreement(agreement_id) if agreement_id else None
    if agreement is None:
        return None
    checks = [
        NewJob(
            CHECK_KIND,
            check_time(installment, fx.policy),
            check_key(agreement.id, installment.number),
            check_ref(agreement.id, installment.number),
        )
        for installment in agreement.installments
    ]
    await fx.tx.jobs.schedule_many(
        checks, conversation_id=fx.conversation.id, debtor_id=agreement.debtor_id, now=fx.now
    )
    return None


@handles(SendAgreementSummary)
async def send_agreement_summary(action: SendAgreementSummary, fx: EffectContext) -> Event | None:
    summary = await agreement_summary(fx.tx, action.agreement_id)
    if summary is None or summary.debtor_id != fx.conversation.debtor_id:
        return None  # never another debtor's agreement
    fx.say(OutboundMessage(text=receipt_text(summary, fx.context.locale, fx.policy.contact.zone)))
    return None
