"""Rows every state shares: help, media, not understood, opt-out, a person, agents."""

from __future__ import annotations

from dialogs import messages as m
from dialogs.flow import escalation, guards, views
from dialogs.flow.actions import SetOptOut
from dialogs.flow.events import AgentClaimed, AgentReleased, OptOutSignal
from dialogs.flow.states import State
from dialogs.flow.turn import Transition, Turn
from dialogs.flow.views import say
from dialogs.frozen import evolve


def reprompt(turn: Turn) -> Transition:
    """Re-ask the current question (after "oi", "obrigado" and other small talk)."""
    return turn.stay(*views.prompt(turn.state, turn.context, turn.policy, turn.today))


def ignore(turn: Turn) -> Transition:
    """An event with nothing to say in this state (a stale lookup, a reminder for later)."""
    return turn.stay()


def help_(turn: Turn) -> Transition:
    return turn.stay(say(m.HELP), *views.prompt(turn.state, turn.context, turn.policy, turn.today))


def media(turn: Turn) -> Transition:
    return turn.stay(say(m.MEDIA_UNSUPPORTED))


def not_understood(turn: Turn) -> Transition:
    """Rephrase hint and the state's buttons; a person after too many misses in a row."""
    context = evolve(turn.context, not_understood_count=turn.context.not_understood_count + 1)
    if guards.too_many_not_understood(context, turn.policy):
        return escalation.escalate(evolve(turn, context=context), escalation.NOT_UNDERSTOOD)
    return turn.stay(
        say(m.NOT_UNDERSTOOD),
        *views.prompt(turn.state, context, turn.policy, turn.today),
        context=context,
    )


def opt_out(turn: Turn) -> Transition:
    context = evolve(turn.context, opted_out=True)
    return turn.stay(SetOptOut(True), say(m.OPT_OUT_CONFIRMED), context=context)


def opt_out_signal(turn: Turn) -> Transition:
    assert isinstance(turn.event, OptOutSignal)
    wanted = turn.event.opted_out
    context = evolve(turn.context, opted_out=wanted)
    if wanted:
        return turn.stay(SetOptOut(True), say(m.OPT_OUT_CONFIRMED), context=context)
    return turn.stay(SetOptOut(False), context=context)


def human(turn: Turn) -> Transition:
    return escalation.escalate(turn, escalation.HUMAN_REQUESTED)


def abuse(turn: Turn) -> Transition:
    """Answer calmly once; hand over to a person if it happens again."""
    if guards.already_abusive(turn.context):
        return escalation.escalate(turn, escalation.ABUSE)
    context = evolve(turn.context, abuse_count=turn.context.abuse_count + 1)
    return turn.stay(
        say(m.ABUSE_CALM),
        *views.prompt(turn.state, context, turn.policy, turn.today),
        context=context,
    )


def waiting_for_agent(turn: Turn) -> Transition:
    """While queued, the debtor hears once that a person will answer; then silence."""
    if turn.context.agent_notice_sent:
        return turn.stay()
    return turn.stay(say(m.AGENT_WAITING), context=evolve(turn.context, agent_notice_sent=True))


def agent_claimed(turn: Turn) -> Transition:
    assert isinstance(turn.event, AgentClaimed)
    return turn.go(
        State.AWAITING_AGENT,
        say(m.AGENT_CLAIMED),
        context=evolve(turn.context, agent_notice_sent=True),
    )


def agent_released(turn: Turn) -> Transition:
    """Resume where the agent says, re-asking that state's question."""
    assert isinstance(turn.event, AgentReleased)
    try:
        target = State(turn.event.resume_at)
    except ValueError:
        target = State.BALANCE if turn.context.verified else State.NEW
    if target in VERIFIED_ONLY and not turn.context.verified:
        target = State.NEW
    if target is State.AWAITING_AGENT:
        target = State.BALANCE if turn.context.verified else State.NEW
    context = evolve(
        turn.context,
        not_understood_count=0,
        offer_revisits=0,
        abuse_count=0,
        agent_notice_sent=False,
    )
    return turn.go(target, *views.prompt(target, context, turn.policy, turn.today), context=context)


def agent_closed(turn: Turn) -> Transition:
    return turn.go(State.CLOSED, context=evolve(turn.context, agent_notice_sent=False))


VERIFIED_ONLY = frozenset(
    {
        State.BALANCE,
        State.CHOOSING_PLAN,
        State.CONFIRMING_COUNTER,
        State.PROMISING,
        State.CHOOSING_CHANNEL,
        State.CONFIRMING_AGREEMENT,
        State.AGREEMENT_ACTIVE,
        State.COLLECTING_DISPUTE,
    }
)
