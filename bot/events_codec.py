"""How inbound events appear in the transcript and in logs (logs never carry personal data)."""

from __future__ import annotations

from bot.channels.base import Inbound
from dialogs.flow.events import (
    AgentClaimed,
    AgentClosed,
    AgentProposedPlan,
    AgentReleased,
    AgentSays,
    ButtonPressed,
    Event,
    MediaReceived,
    StartRequested,
    TextReceived,
)

# Who speaks: the service keeps the WhatsApp window and agent silence by these two sets.
DEBTOR_EVENTS = (TextReceived, ButtonPressed, MediaReceived, StartRequested)
AGENT_EVENTS = (AgentClaimed, AgentReleased, AgentClosed, AgentSays, AgentProposedPlan)


def inbound_author(event: Event) -> str:
    if isinstance(event, DEBTOR_EVENTS):
        return "debtor"
    if isinstance(event, AGENT_EVENTS):
        return "agent"
    return "system"


def inbound_text(event: Event) -> str:
    """The line the transcript shows for this event (debtor words verbatim, others as tags)."""
    match event:
        case TextReceived(text=text):
            return text
        case ButtonPressed(choice=choice):
            return f"[{choice}]"
        case MediaReceived(kind=kind):
            return f"[{kind}]"
        case StartRequested():
            return "/start"
        case AgentSays():
            return ""
        case _:
            return ""


def describe_inbound(inbound: Inbound) -> str:
    """A log-safe description: channel and event type only, never text, names or ids."""
    return f"{inbound.key.channel.value}:{type(inbound.event).__name__}"
