"""Rows for what people do around a chat: an agent's plan proposal, and the debtor who waits.

An agent's plan arrives already checked against the agent's authority; here it becomes the
usual summary with [Confirmar acordo] [Alterar], so the bot takes the chat back and the
debtor confirms exactly as with a plan they picked themselves.
"""

from __future__ import annotations

from datetime import datetime

from dialogs import messages as m
from dialogs.flow import guards, views
from dialogs.flow.escalation import ESCALATION_WAIT
from dialogs.flow.events import AgentProposedPlan, ReminderDue
from dialogs.flow.states import State
from dialogs.flow.turn import Transition, Turn
from dialogs.flow.views import say
from dialogs.frozen import evolve
from dialogs.negotiation.policy import Policy


def proposed_plan(turn: Turn) -> Transition:
    event = turn.event
    assert isinstance(event, AgentProposedPlan)
    if not turn.context.verified:
        return turn.stay()  # nothing about money before verification, whoever asks
    context = evolve(
        turn.context,
        plan=event.plan,
        proposed_plan=None,
        proposed_amount_cents=None,
        last_question="",
        not_understood_count=0,
        offer_revisits=0,
        agent_notice_sent=False,
    )
    intro = say(m.AGENT_PLAN_PROPOSED, name=event.agent_name)
    channel = event.payment_channel
    if channel is None and guards.single_payment_channel(turn.policy):
        channel = turn.policy.channels.payment[0]
    if channel is not None and guards.channel_enabled(channel, turn.policy):
        context = evolve(context, payment_channel=channel)
        return turn.go(
            State.CONFIRMING_AGREEMENT, intro, views.summary(event.plan, channel), context=context
        )
    return turn.go(
        State.CHOOSING_CHANNEL, intro, views.channel_question(turn.policy), context=context
    )


def in_support_hours(policy: Policy, now: datetime) -> bool:
    """People answer inside the creditor's contact window (the policy's weekly hours)."""
    local = now.astimezone(policy.contact.zone)
    window = policy.contact.window_on(local.date())
    return window is not None and window.contains(local.time())


def escalation_wait(turn: Turn) -> Transition:
    """Nobody claimed the chat in time: say how long it may take, or when people are back."""
    event = turn.event
    if not isinstance(event, ReminderDue) or event.kind != ESCALATION_WAIT:
        return turn.stay()
    hours = turn.policy.escalation.support_hours
    message = (
        m.AGENT_WAIT_UPDATE
        if in_support_hours(turn.policy, turn.now)
        else (m.AGENT_WAIT_AFTER_HOURS)
    )
    return turn.stay(
        say(message, hours=hours), context=evolve(turn.context, agent_notice_sent=True)
    )
