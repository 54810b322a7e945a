"""What the bot says in each situation: replies built from message ids and parameters.

No decisions here beyond layout; handlers decide, views phrase. `prompt` is each state's
question, re-asked after help, unknown input or an agent handing the chat back.
"""

from __future__ import annotations

from datetime import date, timedelta

from dialogs import messages as m
from dialogs.flow.actions import Action, Choice, Message, Money, Percent, Reply
from dialogs.flow.context import ChosenPlan, Context
from dialogs.flow.deal import (
    OpenDebt,
    cash,
    grand_total,
    left_to_pay,
    open_debts,
    plans,
    unpaid_installments,
)
from dialogs.flow.states import State
from dialogs.negotiation.offers import Plan
from dialogs.negotiation.policy import Policy

CPF_PREFIX = "cpf_prefix"
BIRTH_DATE = "birth_date"
ASK_AMOUNT = "ask_amount"


def say(message_id: str, *choices: Choice, **params: str | int | Money | Percent | date) -> Reply:
    return Reply(Message(message_id, params), choices)


def choice(choice_id: str, message_id: str, **params: str | int | Money | date) -> Choice:
    return Choice(choice_id, Message(message_id, params))


# ------------------------------------------------------------------------------ verification


def verification_question(question: str) -> Reply:
    if question == BIRTH_DATE:
        return say(m.VERIFY_ASK_BIRTH_DATE)
    return say(m.VERIFY_ASK_CPF_PREFIX)


def greeting(context: Context, policy: Policy) -> Reply:
    creditor = policy.creditor.name
    if context.debtor is not None and context.debtor.first_name:
        return say(m.GREETING_KNOWN, name=context.debtor.first_name, creditor=creditor)
    return say(m.GREETING_UNKNOWN, creditor=creditor)


# ----------------------------------------------------------------------------------- balance

BALANCE_CHOICES = (
    choice("pay_full", m.CHOICE_PAY_FULL),
    choice("installments", m.CHOICE_INSTALLMENTS),
    choice("already_paid", m.CHOICE_ALREADY_PAID),
    choice("not_recognised", m.CHOICE_NOT_RECOGNISED),
    choice("human", m.CHOICE_HUMAN),
)


def debt_line(item: OpenDebt, policy: Policy) -> Reply:
    debt, charges = item.debt, item.charges
    if charges.days_late <= 0:
        return say(
            m.BALANCE_DEBT_NOT_DUE,
            description=debt.description,
            due_date=debt.due_date,
            total=Money(charges.total_cents),
        )
    params: dict[str, str | int | Money | Percent | date] = {
        "description": debt.description,
        "due_date": debt.due_date,
        "days_late": charges.days_late,
        "principal": Money(charges.principal_cents),
        "late_fee_percent": Percent(policy.charges.late_fee_percent),
        "late_fee": Money(charges.late_fee_cents),
        "interest_percent": Percent(policy.charges.monthly_interest_percent),
        "interest": Money(charges.interest_cents),
        "total": Money(charges.total_cents),
    }
    if charges.paid_cents:
        return Reply(
            Message(m.BALANCE_DEBT_WITH_PAYMENTS, {**params, "paid": Money(charges.paid_cents)})
        )
    return Reply(Message(m.BALANCE_DEBT, params))


def balance(context: Context, policy: Policy, today: date) -> tuple[Reply, ...]:
    """Each open debt with its charges, the total, and the creditor (CDC art. 42-A)."""
    debts = open_debts(context, policy, today)
    if not debts:
        return (say(m.BALANCE_NOTHING_OPEN),)
    name = context.debtor.first_name if context.debtor is not None else ""
    intro = (
        say(m.BALANCE_INTRO_ONE, name=name)
        if len(debts) == 1
        else say(m.BALANCE_INTRO_MANY, name=name, count=len(debts))
    )
    creditor = policy.creditor
    total = say(
        m.BALANCE_TOTAL,
        total=Money(grand_total(debts)),
        creditor=creditor.name,
        document_kind=creditor.document_kind,
        document=creditor.document,
    )
    return (intro, *(debt_line(item, policy) for item in debts), total, balance_question())


def balance_question() -> Reply:
    return say(m.BALANCE_QUESTION, *BALANCE_CHOICES)


# ------------------------------------------------------------------------------------ offers


def plan_choice(plan: Plan) -> Choice:
    if plan.down_payment_cents:
        return choice(
            f"plan:{plan.count}",
            m.CHOICE_PLAN_DOWN,
            down=Money(plan.down_payment_cents),
            count=plan.count - 1,
            amount=Money(plan.installment_cents),
        )
    return choice(
        f"plan:{plan.count}", m.CHOICE_PLAN, count=plan.count, amount=Money(plan.installment_cents)
    )


def plan_list(context: Context, policy: Policy, today: date) -> Reply:
    shown = plans(open_debts(context, policy, today), policy, today)
    return say(
        m.OFFER_PLANS,
        *(plan_choice(plan) for plan in shown),
        choice("plan:other", m.CHOICE_OTHER_AMOUNT),
        days=policy.offers.first_due_max_days,
    )


def cash_offer_text(context: Context, policy: Policy, today: date) -> Reply:
    offer = cash(open_debts(context, policy, today), policy, today)
    if offer.discount_cents:
        return say(
            m.OFFER_CASH,
            pay=Money(offer.pay_cents),
            discount=Money(offer.discount_cents),
            discount_percent=Percent(offer.discount_percent),
            due_date=offer.due_date,
        )
    return say(m.OFFER_CASH_NO_DISCOUNT, pay=Money(offer.pay_cents), due_date=offer.due_date)


def counter_question(context: Context) -> Reply:
    plan = context.proposed_plan
    assert plan is not None, "confirming_counter always has a proposed plan"
    accept = choice(f"plan:{plan.count}", m.CHOICE_ACCEPT_PLAN, count=plan.count)
    others = choice("other_options", m.CHOICE_OTHER_OPTIONS)
    if context.proposed_amount_cents is not None:
        return say(
            m.OFFER_COUNTER_AMOUNT,
            accept,
            others,
            amount=Money(context.proposed_amount_cents),
            count=plan.count,
            installment=Money(plan.installment_cents),
        )
    return say(
        m.OFFER_COUNTER_COUNT,
        accept,
        others,
        count=plan.count,
        installment=Money(plan.installment_cents),
    )


# ------------------------------------------------------------------------- channel, agreement


def channel_question(policy: Policy) -> Reply:
    return say(
        m.CHANNEL_ASK,
        *(choice(f"ch:{name}", m.CHOICE_CHANNEL[name]) for name in policy.channels.payment),
    )


def summary(plan: ChosenPlan, channel: str) -> Reply:
    buttons = (choice("confirm", m.CHOICE_CONFIRM), choice("change", m.CHOICE_CHANGE))
    if plan.cash:
        return say(
            m.AGREEMENT_SUMMARY_CASH[channel],
            *buttons,
            total=Money(plan.total_cents),
            due_date=plan.first_due,
        )
    if plan.down_payment_cents:
        return say(
            m.AGREEMENT_SUMMARY_DOWN[channel],
            *buttons,
            down=Money(plan.down_payment_cents),
            count=plan.count - 1,
            installment=Money(plan.installment_cents),
            total=Money(plan.total_cents),
            first_due=plan.first_due,
        )
    return say(
        m.AGREEMENT_SUMMARY[channel],
        *buttons,
        count=plan.count,
        installment=Money(plan.installment_cents),
        total=Money(plan.total_cents),
        first_due=plan.first_due,
    )


AGREEMENT_CHOICES = (
    choice("second_copy", m.CHOICE_SECOND_COPY),
    choice("ask_balance", m.CHOICE_ASK_BALANCE),
    choice("receipt", m.CHOICE_RECEIPT),
    choice("human", m.CHOICE_HUMAN),
)


def agreement_menu() -> Reply:
    return say(m.AGREEMENT_MENU, *AGREEMENT_CHOICES)


def agreement_status(context: Context) -> Reply:
    agreement = context.active_agreement
    remaining = unpaid_installments(agreement) if agreement is not None else ()
    if not remaining:
        return say(m.AGREEMENT_NONE, *AGREEMENT_CHOICES)
    following = remaining[0]
    return say(
        m.AGREEMENT_STATUS,
        *AGREEMENT_CHOICES,
        remaining_count=len(remaining),
        remaining=Money(left_to_pay(remaining)),
        next_amount=Money(following.amount_cents - following.paid_cents),
        next_due=following.due_date,
    )


# ----------------------------------------------------------------------------------- promise


def promise_limit(policy: Policy, today: date) -> date:
    return today + timedelta(days=policy.offers.promise_max_days)


def promise_question(context: Context, policy: Policy, today: date) -> Reply:
    limit = promise_limit(policy, today)
    if context.promised_date is not None:
        return say(
            m.PROMISE_TOO_LATE,
            choice("yes", m.CHOICE_YES),
            choice("other_date", m.CHOICE_OTHER_DATE),
            max_date=limit,
        )
    return say(m.PROMISE_ASK_DATE, max_date=limit)


# ----------------------------------------------------------------------------------- prompts


def prompt(state: State, context: Context, policy: Policy, today: date) -> tuple[Action, ...]:
    """The question a state is waiting on, to re-ask it."""
    match state:
        case State.AWAITING_CPF:
            return (say(m.VERIFY_ASK_CPF),)
        case State.VERIFYING:
            return (verification_question(context.questions[0] if context.questions else ""),)
        case State.LOCKED:
            return (say(m.VERIFY_STILL_LOCKED),)
        case State.BALANCE:
            return (balance_question(),)
        case State.CHOOSING_PLAN:
            if context.last_question == ASK_AMOUNT:
                return (say(m.OFFER_ASK_AMOUNT),)
            return (plan_list(context, policy, today),)
        case State.CONFIRMING_COUNTER:
            return (counter_question(context),)
        case State.PROMISING:
            return (promise_question(context, policy, today),)
        case State.CHOOSING_CHANNEL:
            return (channel_question(policy),)
        case State.CONFIRMING_AGREEMENT:
            if context.plan is None or context.payment_channel is None:
                return (balance_question(),)
            return (summary(context.plan, context.payment_channel),)
        case State.AGREEMENT_ACTIVE:
            return (agreement_menu(),)
        case State.COLLECTING_DISPUTE:
            return (say(m.DISPUTE_ASK[context.dispute_kind or "dispute"]),)
        case State.AWAITING_AGENT:
            return (say(m.AGENT_WAITING),)
        case _:
            return ()
