"""Handing a chat to a person: reason codes, priorities and the summary an agent reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from dialogs import messages as m
from dialogs.flow.actions import Action, Escalate, Message, Money, ParamValue, ScheduleJob
from dialogs.flow.deal import grand_total, open_debts
from dialogs.flow.states import State
from dialogs.flow.turn import Transition, Turn
from dialogs.flow.views import say
from dialogs.frozen import evolve

HUMAN_REQUESTED: Final = "human_requested"
NOT_UNDERSTOOD: Final = "not_understood"
OFFER_STALLED: Final = "offer_stalled"
COUNTER_OFFER_OUTSIDE_POLICY: Final = "counter_offer_outside_policy"
DISPUTE: Final = "dispute"
ALREADY_PAID: Final = "already_paid"
NOT_RECOGNISED: Final = "not_recognised"
ABUSE: Final = "abuse"
PAYMENT_MISMATCH: Final = "payment_mismatch"
MISSED_PROMISE: Final = "missed_promise"  # unpaid on the promised day, agreement active
# Job kind: nobody claimed the chat within `escalation.claim_timeout_minutes`. The effect
# fills `{conversation}` in the key, which makes it unique per chat and escalation time.
ESCALATION_WAIT: Final = "escalation_wait"

PRIORITY: Final = {
    HUMAN_REQUESTED: 2,
    DISPUTE: 2,
    ALREADY_PAID: 1,
    NOT_RECOGNISED: 1,
    PAYMENT_MISMATCH: 1,
    MISSED_PROMISE: 1,
    ABUSE: 1,
    COUNTER_OFFER_OUTSIDE_POLICY: 0,
    OFFER_STALLED: 0,
    NOT_UNDERSTOOD: 0,
}
REASONS: Final = frozenset(PRIORITY)


def escalate(
    turn: Turn,
    reason: str,
    *before: Action,
    tell_debtor: bool = True,
    **extra: ParamValue,
) -> Transition:
    """Queue the chat for a person with a summary; the debtor hears that a person will follow."""
    context = turn.context
    total = grand_total(open_debts(context, turn.policy, turn.today))
    params: dict[str, ParamValue] = {
        "total": Money(total),
        "words": context.last_words,
        "offers_shown": context.offer_revisits,
        **extra,
    }
    summary = Message(m.ESCALATION_SUMMARY[reason], params)
    actions: list[Action] = [*before]
    if tell_debtor:
        actions.append(say(m.HANDOFF, hours=turn.policy.escalation.support_hours))
    actions.append(Escalate(reason=reason, summary=summary, priority=PRIORITY[reason]))
    actions.append(
        ScheduleJob(
            kind=ESCALATION_WAIT,
            run_at=turn.now + timedelta(minutes=turn.policy.escalation.claim_timeout_minutes),
            key=f"{ESCALATION_WAIT}:{{conversation}}:{turn.now.isoformat()}",
            ref=reason,
        )
    )
    calm = evolve(
        context,
        not_understood_count=0,
        offer_revisits=0,
        agent_notice_sent=False,
        last_question="",
    )
    return Transition(State.AWAITING_AGENT, calm, tuple(actions))
