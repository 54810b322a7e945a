"""After the deal: balance left, second copy, changing the channel, payments arriving."""

from __future__ import annotations

from datetime import date

from dialogs import messages as m
from dialogs.flow import deal, escalation, guards, views
from dialogs.flow.actions import (
    Action,
    ChangePaymentChannel,
    CloseConversation,
    Message,
    Money,
    Reply,
    SendAgreementSummary,
    SendPaymentInstructions,
)
from dialogs.flow.events import PaymentConfirmed, ReminderDue
from dialogs.flow.handlers import negotiation, verification
from dialogs.flow.snapshots import AgreementSnapshot
from dialogs.flow.states import State
from dialogs.flow.turn import Transition, Turn
from dialogs.flow.views import say
from dialogs.frozen import evolve

_CHANNEL_TRIGGER_PREFIX = "channel_"


def status(turn: Turn) -> Transition:
    """ "Qual o saldo?", "quando vence?": what is left and the next due date."""
    return turn.go(State.AGREEMENT_ACTIVE, views.agreement_status(turn.context))


def second_copy(turn: Turn) -> Transition:
    agreement = turn.context.active_agreement
    remaining = deal.unpaid_installments(agreement) if agreement is not None else ()
    if agreement is None or not remaining:
        return turn.go(State.AGREEMENT_ACTIVE, views.agreement_status(turn.context))
    following = remaining[0]
    return turn.go(
        State.AGREEMENT_ACTIVE,
        say(
            m.AGREEMENT_SECOND_COPY,
            number=following.number,
            amount=Money(following.amount_cents - following.paid_cents),
            due_date=following.due_date,
        ),
        SendPaymentInstructions(
            payment_channel=agreement.payment_channel,
            agreement_id=agreement.agreement_id,
            installment=following.number,
        ),
    )


def change_channel(turn: Turn) -> Transition:
    channel = turn.trigger.removeprefix(_CHANNEL_TRIGGER_PREFIX)
    agreement = turn.context.active_agreement
    if agreement is None or not guards.channel_enabled(channel, turn.policy):
        return turn.go(State.AGREEMENT_ACTIVE, views.agreement_menu())
    context = evolve(turn.context, payment_channel=channel)
    return turn.go(
        State.AGREEMENT_ACTIVE,
        ChangePaymentChannel(agreement.agreement_id, channel),
        say(m.AGREEMENT_CHANNEL_CHANGED[channel]),
        SendPaymentInstructions(payment_channel=channel, agreement_id=agreement.agreement_id),
        context=context,
    )


def payment_confirmed(turn: Turn) -> Transition:
    """Thank the debtor with what is left; the last payment closes the conversation."""
    event = turn.event
    assert isinstance(event, PaymentConfirmed)
    if not event.matches_installment:
        return escalation.escalate(
            turn,
            escalation.PAYMENT_MISMATCH,
            say(m.PAYMENT_MISMATCH, amount=Money(event.amount_cents)),
            tell_debtor=False,
            amount=Money(event.amount_cents),
            number=event.installment_number,
            expected=Money(_expected(turn, event)),
        )
    agreement = next(
        (
            a
            for a in (turn.context.debtor.agreements if turn.context.debtor else ())
            if a.agreement_id == event.agreement_id
        ),
        None,
    )
    remaining = (
        deal.unpaid_installments(agreement, also_paid=event.installment_number)
        if agreement is not None
        else ()
    )
    context = evolve(turn.context, agreement_id=event.agreement_id)
    if agreement is not None and not remaining:
        name = context.debtor.first_name if context.debtor is not None else ""
        actions: list[Action] = [say(m.PAYMENT_COMPLETED, name=name)]
        if turn.policy.creditor.lists_debtors:
            actions.append(say(m.PAYMENT_COMPLETED_LISTING, creditor=turn.policy.creditor.name))
        actions.append(CloseConversation())
        return turn.go(State.CLOSED, *actions, context=evolve(context, agreement_id=None))
    target = turn.state if turn.state is State.AWAITING_AGENT else State.AGREEMENT_ACTIVE
    if not remaining:
        return turn.go(target, context=context)
    following = remaining[0]
    thanks = say(
        m.PAYMENT_THANKS,
        number=event.installment_number,
        amount=Money(event.amount_cents),
        remaining_count=len(remaining),
        remaining=Money(deal.left_to_pay(remaining)),
        next_due=following.due_date,
    )
    return turn.go(target, thanks, context=context)


def _expected(turn: Turn, event: PaymentConfirmed) -> int:
    for agreement in turn.context.debtor.agreements if turn.context.debtor else ():
        if agreement.agreement_id == event.agreement_id:
            for item in agreement.installments:
                if item.number == event.installment_number:
                    return item.amount_cents
    return 0


# ----------------------------------------------------------------------------- receipt


def _receipt_agreement(turn: Turn) -> AgreementSnapshot | None:
    """The agreement a receipt is about: the active one, else the latest finished one."""
    context = turn.context
    if not context.verified or context.debtor is None:
        return None
    active = context.active_agreement
    if active is not None:
        return active
    finished = [a for a in context.debtor.agreements if a.status in ("completed", "broken")]
    return max(finished, key=lambda a: a.agreement_id) if finished else None


def receipt(turn: Turn) -> Transition:
    """ "Resumo do acordo" / [Resumo do acordo]: the installments and payments, from storage."""
    agreement = _receipt_agreement(turn)
    if agreement is None:
        if turn.state is State.BALANCE:
            return negotiation.show_balance(turn)
        if turn.state is State.CLOSED:
            return verification.start_conversation(turn)
        return turn.go(State.AGREEMENT_ACTIVE, views.agreement_status(turn.context))
    summary = SendAgreementSummary(agreement.agreement_id)
    if turn.state is State.AGREEMENT_ACTIVE:
        return turn.stay(summary, views.agreement_menu())
    if turn.state is State.BALANCE:
        return turn.stay(summary, views.balance_question())
    return turn.stay(summary)


# ------------------------------------------------------------------------------ late check


def _ref(ref: str) -> tuple[int, int] | None:
    """ "agreement:installment" as the late-check job writes it."""
    agreement, _, number = ref.partition(":")
    if agreement.isdigit() and number.isdigit():
        return int(agreement), int(number)
    return None


def installment_check(turn: Turn) -> Transition:
    """An installment stayed unpaid past the grace days and storage broke the agreement:
    say so plainly, with what was paid deducted, and offer a new agreement."""
    event = turn.event
    assert isinstance(event, ReminderDue)
    ref = _ref(event.ref)
    debtor = turn.context.debtor
    if ref is None or debtor is None or turn.state is State.AWAITING_AGENT:
        return turn.stay()
    agreement_id, number = ref
    agreement = next((a for a in debtor.agreements if a.agreement_id == agreement_id), None)
    if agreement is None or agreement.status != "broken":
        return turn.stay()
    late = next((i for i in agreement.installments if i.number == number), None)
    due_date = late.due_date if late is not None else event.due_date or turn.today
    paid = sum(i.paid_cents for i in agreement.installments if i.status == "paid")
    params: dict[str, str | int | Money | date] = {
        "name": debtor.first_name,
        "number": number,
        "due_date": due_date,
    }
    if paid:
        params["paid"] = Money(paid)
    offer = Reply(
        Message(m.AGREEMENT_BROKEN_PAID if paid else m.AGREEMENT_BROKEN, params),
        RENEGOTIATION_CHOICES,
    )
    context = evolve(
        turn.context,
        agreement_id=None,
        plan=None,
        proposed_plan=None,
        payment_channel=None,
        offer_revisits=0,
        last_question="",
    )
    return turn.go(State.BALANCE, offer, context=context)


RENEGOTIATION_CHOICES = (
    views.choice("installments", m.CHOICE_INSTALLMENTS),
    views.choice("pay_full", m.CHOICE_PAY_FULL),
    views.choice("human", m.CHOICE_HUMAN),
)
