"""`step`: the one pure function the service calls for every event.

`step(state, context, event, policy, now)` classifies the event into a trigger, looks the
(state, trigger) row up in `table`, runs its handler and checks the handler stayed inside the
targets the table declares. No I/O, no clock: `now` comes in, today's date is derived from it
in the creditor's time zone.
"""

from __future__ import annotations

from datetime import datetime

from dialogs.flow.context import Context
from dialogs.flow.events import ButtonPressed, Event, TextReceived
from dialogs.flow.states import State
from dialogs.flow.table import FlowDefinitionError, lookup
from dialogs.flow.triggers import classify
from dialogs.flow.turn import Transition, Turn
from dialogs.frozen import evolve
from dialogs.negotiation.policy import Policy

__all__ = ["Transition", "step"]


def step(state: State, context: Context, event: Event, policy: Policy, now: datetime) -> Transition:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(policy.contact.zone).date()
    from_debtor = isinstance(event, TextReceived | ButtonPressed)
    if isinstance(event, TextReceived):
        context = context.remember_words(event.text)
    classified = classify(event, context.locale, today)
    turn = Turn(
        state=state,
        context=context,
        event=event,
        policy=policy,
        now=now,
        today=today,
        trigger=classified.trigger,
        arg=classified.arg,
        text=classified.text,
        entities=classified.entities,
    )
    rule = lookup(state, classified.trigger)
    result = rule.handler(turn)
    if not rule.allows(state, result.state):
        raise FlowDefinitionError(
            f"{rule.handler.__qualname__} went {state} -> {result.state} on {classified.trigger!r},"
            " which the table does not declare"
        )
    if (
        from_debtor
        and result.context.not_understood_count
        and result.context.not_understood_count == context.not_understood_count
    ):
        # The handler understood this message: the "consecutive misses" count starts over.
        result = evolve(result, context=evolve(result.context, not_understood_count=0))
    return result
