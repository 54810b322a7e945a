"""From the balance to a confirmed agreement: cash offer, plans, counter-offers, channel."""

from __future__ import annotations

from decimal import Decimal

from dialogs import messages as m
from dialogs.flow import deal, escalation, guards, views
from dialogs.flow.actions import (
    Action,
    CreateAgreement,
    Money,
    SendPaymentInstructions,
    WatchInstallments,
)
from dialogs.flow.context import ChosenPlan, Context
from dialogs.flow.handlers.common import not_understood
from dialogs.flow.states import State
from dialogs.flow.turn import Transition, Turn
from dialogs.flow.views import ASK_AMOUNT, say
from dialogs.frozen import evolve
from dialogs.money import to_cents
from dialogs.negotiation.offers import nearest_plan

_CHANNEL_TRIGGER_PREFIX = "channel_"


def show_balance(turn: Turn) -> Transition:
    context = evolve(turn.context, last_question="")
    return turn.go(State.BALANCE, *views.balance(context, turn.policy, turn.today), context=context)


def _nothing_open(turn: Turn) -> Transition:
    return turn.go(State.BALANCE, say(m.BALANCE_NOTHING_OPEN))


def _towards_channel(turn: Turn, context: Context, *prefix: Action) -> Transition:
    """After a plan is chosen: ask the channel, or go straight to the summary if only one."""
    if guards.single_payment_channel(turn.policy):
        channel = turn.policy.channels.payment[0]
        context = evolve(context, payment_channel=channel)
        assert context.plan is not None
        return turn.go(
            State.CONFIRMING_AGREEMENT,
            *prefix,
            views.summary(context.plan, channel),
            context=context,
        )
    return turn.go(
        State.CHOOSING_CHANNEL, *prefix, views.channel_question(turn.policy), context=context
    )


def offer_cash(turn: Turn) -> Transition:
    debts = deal.open_debts(turn.context, turn.policy, turn.today)
    if not debts:
        return _nothing_open(turn)
    plan = deal.chosen_cash(deal.cash(debts, turn.policy, turn.today))
    context = evolve(turn.context, plan=plan, last_question="")
    return _towards_channel(turn, context, views.cash_offer_text(context, turn.policy, turn.today))


def offer_plans(turn: Turn) -> Transition:
    """Show the plan buttons; seeing them again and again without deciding goes to a person."""
    if not deal.open_debts(turn.context, turn.policy, turn.today):
        return _nothing_open(turn)
    if guards.offers_stalled(turn.context, turn.policy):
        return escalation.escalate(turn, escalation.OFFER_STALLED)
    context = evolve(
        turn.context,
        offer_revisits=turn.context.offer_revisits + 1,
        last_question="",
        proposed_plan=None,
        proposed_amount_cents=None,
    )
    return turn.go(
        State.CHOOSING_PLAN, views.plan_list(context, turn.policy, turn.today), context=context
    )


def installments(turn: Turn) -> Transition:
    """ "Parcelar": the plan list, unless the debtor already said how ("em 10x")."""
    if "installments" in turn.entities or "amount" in turn.entities:
        return counter_offer(turn)
    return offer_plans(turn)


def _pick(turn: Turn, plan: ChosenPlan) -> Transition:
    context = evolve(turn.context, plan=plan, proposed_plan=None, last_question="")
    return _towards_channel(turn, context)


def pick_plan(turn: Turn) -> Transition:
    """A plan button ("plan:6"); a stale or invalid count shows the list again."""
    debts = deal.open_debts(turn.context, turn.policy, turn.today)
    if not debts:
        return _nothing_open(turn)
    count = int(turn.arg) if turn.arg.isdigit() else 0
    plan = deal.plan_with(debts, count, turn.policy, turn.today)
    if plan is None:
        return offer_plans(turn)
    return _pick(turn, deal.chosen(plan))


def ask_amount(turn: Turn) -> Transition:
    """[Outro valor]: ask how much per month or in how many installments."""
    context = evolve(turn.context, last_question=ASK_AMOUNT)
    return turn.go(State.CHOOSING_PLAN, say(m.OFFER_ASK_AMOUNT), context=context)


def _whole_count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def counter_offer(turn: Turn) -> Transition:
    """ "Consigo uns 300 por mês" / "em 10x": the nearest plan inside policy, or a person."""
    debts = deal.open_debts(turn.context, turn.policy, turn.today)
    if not debts:
        return _nothing_open(turn)
    total = deal.grand_total(debts)
    count = _whole_count(turn.entities.get("installments"))
    amount = turn.entities.get("amount")
    amount_cents = int(to_cents(amount)) if isinstance(amount, Decimal) else None
    if count is None and amount_cents is None:
        return not_understood(turn)
    if count is not None:
        plan = nearest_plan(total, turn.policy, turn.today, count=count)
        if plan is not None and plan.count == count:
            return _pick(turn, deal.chosen(plan))  # exactly what was asked: no need to confirm
        amount_cents = None
    else:
        plan = nearest_plan(total, turn.policy, turn.today, monthly_amount_cents=amount_cents)
    if plan is None:
        return escalation.escalate(turn, escalation.COUNTER_OFFER_OUTSIDE_POLICY)
    context = evolve(
        turn.context,
        proposed_plan=deal.chosen(plan),
        proposed_amount_cents=amount_cents,
        last_question="",
    )
    return turn.go(State.CONFIRMING_COUNTER, views.counter_question(context), context=context)


def accept_counter(turn: Turn) -> Transition:
    proposed = turn.context.proposed_plan
    if proposed is None:
        return offer_plans(turn)
    return _pick(turn, proposed)


def pick_channel(turn: Turn) -> Transition:
    channel = turn.trigger.removeprefix(_CHANNEL_TRIGGER_PREFIX)
    if turn.context.plan is None:
        return offer_plans(turn)
    if not guards.channel_enabled(channel, turn.policy):
        return turn.go(State.CHOOSING_CHANNEL, views.channel_question(turn.policy))
    context = evolve(turn.context, payment_channel=channel)
    return turn.go(
        State.CONFIRMING_AGREEMENT, views.summary(turn.context.plan, channel), context=context
    )


def confirm_agreement(turn: Turn) -> Transition:
    """[Confirmar acordo]: create it, say so, send the first payment instructions."""
    context = turn.context
    plan, channel = context.plan, context.payment_channel
    debts = deal.open_debts(context, turn.policy, turn.today)
    if plan is None or channel is None or not debts:
        return show_balance(turn)
    first = plan.installments[0]
    create = CreateAgreement(
        debt_ids=tuple(item.debt.debt_id for item in debts),
        installments=plan.installments,
        payment_channel=channel,
        total_cents=plan.total_cents,
        discount_cents=plan.discount_cents,
    )
    closed = say(m.AGREEMENT_CLOSED, amount=Money(first.amount_cents), due_date=first.due_date)
    context = evolve(context, offer_revisits=0, agreement_id=None, proposed_plan=None)
    return turn.go(
        State.AGREEMENT_ACTIVE,
        create,
        WatchInstallments(),
        closed,
        SendPaymentInstructions(payment_channel=channel),
        context=context,
    )


def change(turn: Turn) -> Transition:
    """[Alterar] / "não" on the summary or channel question: back to the options."""
    return offer_plans(turn)
