"""The bot writes first: installment reminders, outreach, promise check-ins.

The runtime already decided that the message may go now (window, caps, opt-out, pauses,
payments); here it is only worded. Nothing about money reaches a chat that has not proven
who it is: such a chat hears an invitation to talk, naming the creditor and no amounts.
A missed promise reopens the negotiation, or — with an agreement already running — goes to
a person, who can weigh a new date against the agreement.
"""

from __future__ import annotations

from datetime import date

from dialogs import messages as m
from dialogs.flow import escalation, views
from dialogs.flow.actions import Choice, Message, Money, ParamValue, SendReminder
from dialogs.flow.events import ReminderDue
from dialogs.flow.reminders import (
    INSTALLMENT_REMINDER,
    OUTREACH,
    PROMISE_FOLLOWUP,
    PROMISE_FOLLOWUP_TEMPLATE,
    PROMISE_REMINDER,
    InstallmentRef,
    OutreachRef,
)
from dialogs.flow.states import State
from dialogs.flow.turn import Transition, Turn
from dialogs.frozen import evolve

SECOND_COPY = (views.choice("second_copy", m.CHOICE_SECOND_COPY),)
SEE_BALANCE = (views.choice("ask_balance", m.CHOICE_ASK_BALANCE),)
RENEGOTIATE = (
    views.choice("installments", m.CHOICE_INSTALLMENTS),
    views.choice("pay_full", m.CHOICE_PAY_FULL),
    views.choice("human", m.CHOICE_HUMAN),
)
OPEN_INSTALLMENT = ("pending", "late")


def reminder_due(turn: Turn) -> Transition:
    event = turn.event
    assert isinstance(event, ReminderDue)
    if turn.state is State.AWAITING_AGENT:
        return turn.stay()  # a person has the chat; the runtime pauses the cadence anyway
    if event.kind == INSTALLMENT_REMINDER:
        return _installment(turn, event)
    if event.kind == OUTREACH:
        return _outreach(turn, event)
    if event.kind == PROMISE_REMINDER:
        return _promise_today(turn)
    if event.kind == PROMISE_FOLLOWUP:
        return _promise_missed(turn, event)
    return turn.stay()


def _creditor(turn: Turn) -> dict[str, ParamValue]:
    creditor = turn.policy.creditor
    return {
        "creditor": creditor.name,
        "document_kind": creditor.document_kind,
        "document": creditor.document,
    }


def _first_name(turn: Turn) -> str:
    debtor = turn.context.debtor
    return debtor.first_name if debtor is not None else ""


def _send(
    message_id: str, params: dict[str, ParamValue], template: str | None, *choices: Choice
) -> SendReminder:
    return SendReminder(Message(message_id, params), template, choices)


def _invitation(turn: Turn, template: str | None) -> Transition:
    """To a chat that has not verified: who writes and an invitation, nothing more."""
    params: dict[str, ParamValue] = {"name": _first_name(turn), **_creditor(turn)}
    return turn.stay(_send(m.REMINDER_UNVERIFIED, params, template))


def _installment(turn: Turn, event: ReminderDue) -> Transition:
    ref = InstallmentRef.parse(event.ref)
    step = next(
        (
            s
            for s in turn.policy.cadence.installment_steps
            if ref is not None and s.offset_days == ref.offset_days
        ),
        None,
    )
    debtor = turn.context.debtor
    if ref is None or step is None or debtor is None:
        return turn.stay()
    agreement = next((a for a in debtor.agreements if a.agreement_id == ref.agreement_id), None)
    installment = (
        next((i for i in agreement.installments if i.number == ref.number), None)
        if agreement is not None and agreement.status == "active"
        else None
    )
    if installment is None or installment.status not in OPEN_INSTALLMENT:
        return turn.stay()  # paid or cancelled since the job was planned
    if not turn.context.verified:
        return _invitation(turn, step.template)
    params: dict[str, ParamValue] = {
        "name": debtor.first_name,
        "number": installment.number,
        "amount": Money(installment.amount_cents - installment.paid_cents),
        "due_date": installment.due_date,
        **_creditor(turn),
    }
    message_id = step.message
    if step.offset_days == 0 and turn.today < installment.due_date:
        message_id = m.REMINDER_BEFORE_DUE  # the due day is closed (holiday): sent the day before
    reminder = _send(message_id, params, step.template, *SECOND_COPY)
    context = evolve(turn.context, agreement_id=agreement.agreement_id if agreement else None)
    if turn.state in (State.BALANCE, State.AGREEMENT_ACTIVE, State.CLOSED, State.NEW):
        return turn.go(State.AGREEMENT_ACTIVE, reminder, context=context)
    return turn.stay(reminder, context=context)


def _outreach(turn: Turn, event: ReminderDue) -> Transition:
    ref = OutreachRef.parse(event.ref)
    step = next(
        (
            s
            for s in turn.policy.cadence.outreach_steps
            if ref is not None and s.after_days == ref.after_days
        ),
        None,
    )
    if step is None:
        return turn.stay()
    params: dict[str, ParamValue] = {"name": _first_name(turn), **_creditor(turn)}
    return turn.stay(_send(step.message, params, step.template))


def _promise_today(turn: Turn) -> Transition:
    if not turn.context.verified:
        return _invitation(turn, PROMISE_FOLLOWUP_TEMPLATE)
    params: dict[str, ParamValue] = {"name": _first_name(turn), **_creditor(turn)}
    return turn.stay(
        _send(m.REMINDER_PROMISE_TODAY, params, PROMISE_FOLLOWUP_TEMPLATE, *SEE_BALANCE)
    )


def _promise_missed(turn: Turn, event: ReminderDue) -> Transition:
    if not turn.context.verified:
        return _invitation(turn, PROMISE_FOLLOWUP_TEMPLATE)
    day: date = event.due_date or turn.today
    params: dict[str, ParamValue] = {"name": _first_name(turn), "date": day, **_creditor(turn)}
    if turn.context.active_agreement is not None:
        notice = _send(m.REMINDER_PROMISE_MISSED, params, PROMISE_FOLLOWUP_TEMPLATE)
        return escalation.escalate(turn, escalation.MISSED_PROMISE, notice, date=day)
    offer = _send(m.REMINDER_PROMISE_MISSED, params, PROMISE_FOLLOWUP_TEMPLATE, *RENEGOTIATE)
    return turn.go(State.BALANCE, offer, context=evolve(turn.context, promised_date=None))
