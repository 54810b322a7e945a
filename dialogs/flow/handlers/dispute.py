"""Dispute, "já paguei", "não reconheço": the debtor's own words go to a person."""

from __future__ import annotations

from dialogs import messages as m
from dialogs.flow import escalation, guards
from dialogs.flow.actions import RecordDispute
from dialogs.flow.events import TextReceived
from dialogs.flow.handlers.common import not_understood
from dialogs.flow.states import State
from dialogs.flow.turn import Transition, Turn
from dialogs.flow.views import say
from dialogs.frozen import evolve

KIND_BY_TRIGGER = {
    "dispute": escalation.DISPUTE,
    "already_paid": escalation.ALREADY_PAID,
    "not_recognised": escalation.NOT_RECOGNISED,
}


def _record(turn: Turn, kind: str, description: str) -> Transition:
    context = evolve(turn.context, dispute_kind=None, last_question="")
    return escalation.escalate(
        evolve(turn, context=context),
        kind,
        RecordDispute(kind=kind, description=description),
    )


def start_dispute(turn: Turn) -> Transition:
    """Ask for a short description, unless the debtor already gave one."""
    kind = KIND_BY_TRIGGER[turn.trigger]
    if isinstance(turn.event, TextReceived) and guards.describes_enough(turn.text):
        return _record(turn, kind, turn.text.strip())
    context = evolve(turn.context, dispute_kind=kind)
    return turn.go(State.COLLECTING_DISPUTE, say(m.DISPUTE_ASK[kind]), context=context)


def describe(turn: Turn) -> Transition:
    if not isinstance(turn.event, TextReceived) or not turn.text.strip():
        return not_understood(turn)
    return _record(turn, turn.context.dispute_kind or escalation.DISPUTE, turn.text.strip())
