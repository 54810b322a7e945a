"""Effects that create agreements and send payment instructions."""

from __future__ import annotations

import logging

from bot.effects.base import EffectContext, handles
from bot.payments.instructions import instructions_for
from dialogs.flow.actions import ChangePaymentChannel, CreateAgreement, SendPaymentInstructions
from dialogs.flow.events import Event
from storage import NewInstallment

log = logging.getLogger(__name__)


@handles(CreateAgreement)
async def create_agreement(action: CreateAgreement, fx: EffectContext) -> Event | None:
    conv = fx.conversation
    if conv.debtor_id is None:
        log.error("conversation %s: agreement without a debtor ignored", conv.id)
        return None
    created = await fx.tx.agreements.create(
        conv.debtor_id,
        conv.id,
        list(action.debt_ids),
        [NewInstallment(i.number, i.amount_cents, i.due_date) for i in action.installments],
        payment_channel=action.payment_channel,
        total_cents=action.total_cents,
        discount_cents=action.discount_cents,
        now=fx.now,
    )
    fx.created_agreement = created.id
    fx.changed_debtor()
    fx.remember_agreement(created)  # its instructions and reminders need not read it back
    return None


@handles(SendPaymentInstructions)
async def send_payment_instructions(
    action: SendPaymentInstructions, fx: EffectContext
) -> Event | None:
    agreement_id = action.agreement_id or fx.created_agreement
    agreement = await fx.agreement(agreement_id) if agreement_id else None
    if agreement is None:
        log.error("conversation %s: payment instructions without agreement", fx.conversation.id)
        return None
    boleto_line = None
    if action.payment_channel == "boleto" and len(agreement.debt_ids) == 1:
        debts = await fx.tx.debtors.debts(agreement.debtor_id, include_paid=True)
        boleto_line = next((d.boleto_line for d in debts if d.id == agreement.debt_ids[0]), None)
    for message in instructions_for(
        agreement,
        action.payment_channel,
        action.installment,
        fx.policy,
        fx.context.locale,
        today=fx.now.date(),
        boleto_line=boleto_line,
    ):
        fx.say(message)
    return None


@handles(ChangePaymentChannel)
async def change_payment_channel(action: ChangePaymentChannel, fx: EffectContext) -> Event | None:
    await fx.tx.agreements.set_payment_channel(action.agreement_id, action.payment_channel)
    fx.changed_debtor()
    return None
