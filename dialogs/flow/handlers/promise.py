"""Promise to pay: agree on a date within `offers.promise_max_days`, record it, remind."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dialogs import messages as m
from dialogs.flow import escalation, guards, reminders, views
from dialogs.flow.actions import RecordPromise, ScheduleJob
from dialogs.flow.states import State
from dialogs.flow.turn import Transition, Turn
from dialogs.flow.views import say
from dialogs.frozen import evolve
from dialogs.money import to_cents

REMINDER_TIME = time(9)  # local time on the promised day; the scheduler still applies windows
PROMISE_REMINDER = reminders.PROMISE_REMINDER


def _record(turn: Turn, day: date) -> Transition:
    context = turn.context
    assert context.debtor is not None
    amount = turn.entities.get("amount")
    amount_cents = int(to_cents(amount)) if isinstance(amount, Decimal) else None
    zone = turn.policy.contact.zone
    run_at = datetime.combine(day, REMINDER_TIME, tzinfo=zone)
    followup_day = day + timedelta(days=turn.policy.cadence.promise_followup_days)
    debtor_id = context.debtor.debtor_id
    back = State.AGREEMENT_ACTIVE if guards.has_active_agreement(context) else State.BALANCE
    context = evolve(context, promised_date=None, last_question="")
    return turn.go(
        back,
        RecordPromise(due=day, amount_cents=amount_cents),
        ScheduleJob(
            kind=PROMISE_REMINDER,
            run_at=run_at,
            key=f"promise:{debtor_id}:{day.isoformat()}",
            ref=str(debtor_id),
        ),
        ScheduleJob(  # "did it work out?" the day after, if still unpaid (the runtime checks)
            kind=reminders.PROMISE_FOLLOWUP,
            run_at=datetime.combine(followup_day, REMINDER_TIME, tzinfo=zone),
            key=f"{reminders.PROMISE_FOLLOWUP}:{debtor_id}:{day.isoformat()}",
            ref=day.isoformat(),
        ),
        say(m.PROMISE_RECORDED, date=day),
        context=context,
    )


def _evaluate(turn: Turn, day: date) -> Transition:
    limit = views.promise_limit(turn.policy, turn.today)
    if guards.promise_within_limit(day, turn.today, turn.policy):
        return _record(turn, day)
    if guards.promise_beyond_limit(day, turn.today, turn.policy):
        context = evolve(turn.context, promised_date=limit)
        return turn.go(
            State.PROMISING,
            views.promise_question(context, turn.policy, turn.today),
            context=context,
        )
    context = evolve(turn.context, promised_date=None)
    return turn.go(State.PROMISING, say(m.PROMISE_DATE_INVALID, max_date=limit), context=context)


def promise(turn: Turn) -> Transition:
    """ "Não posso agora" / "recebo dia 10": take the date if given, else ask for one."""
    day = turn.entities.get("date")
    if isinstance(day, date):
        return _evaluate(turn, day)
    context = evolve(turn.context, promised_date=None)
    return turn.go(
        State.PROMISING, views.promise_question(context, turn.policy, turn.today), context=context
    )


def promise_answer(turn: Turn) -> Transition:
    """Any reply while we wait for a date: a date, or (after a proposal) yes / another date."""
    day = turn.entities.get("date")
    if isinstance(day, date):
        return _evaluate(turn, day)
    if turn.trigger == "affirm" and turn.context.promised_date is not None:
        return _record(turn, turn.context.promised_date)
    if turn.trigger in ("deny", "other_date"):
        context = evolve(turn.context, promised_date=None)
        return turn.stay(views.promise_question(context, turn.policy, turn.today), context=context)
    return _date_not_understood(turn)


def _date_not_understood(turn: Turn) -> Transition:
    """Say which dates work; like any miss, too many in a row go to a person."""
    context = evolve(turn.context, not_understood_count=turn.context.not_understood_count + 1)
    if guards.too_many_not_understood(context, turn.policy):
        return escalation.escalate(evolve(turn, context=context), escalation.NOT_UNDERSTOOD)
    limit = views.promise_limit(turn.policy, turn.today)
    return turn.stay(say(m.PROMISE_DATE_INVALID, max_date=limit), context=context)
