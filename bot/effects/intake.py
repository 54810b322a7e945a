"""Storage work a system event needs before anyone reacts to it, in the event's transaction.

A payment must be recorded, and a late agreement broken, whoever owns the chat: the bot, a
queued escalation or an agent (when the dialog does not run at all). So the service hands
such events to their ingester right after dropping duplicates. The ingester writes what
storage must know and returns the event for the dialog — possibly refined (a payment's
`matches_installment`) — or None when there is nothing for anyone to say.

Register one ingester per event type with `@ingests(EventType)`; every other event passes
through untouched at the cost of one dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from dialogs.flow.events import Event
from dialogs.negotiation.policy import Policy
from storage import ConversationRow, UnitOfWork

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class IntakeContext:
    """What an ingester may use: the open transaction, the chat, the policy and the time."""

    tx: UnitOfWork
    conversation: ConversationRow
    policy: Policy
    now: datetime


Ingester = Callable[[Any, IntakeContext], Awaitable[Event | None]]
_INGESTERS: dict[type, Ingester] = {}


def ingests(
    event_type: type[E],
) -> Callable[[Callable[[E, IntakeContext], Awaitable[Event | None]]], Ingester]:
    """Register the ingester of one event type (exactly one per type)."""

    def register(ingester: Callable[[E, IntakeContext], Awaitable[Event | None]]) -> Ingester:
        if event_type in _INGESTERS:
            raise RuntimeError(f"two ingesters for {event_type.__name__}")
        _INGESTERS[event_type] = ingester
        return ingester

    return register


async def ingest(
    event: Event, tx: UnitOfWork, conversation: ConversationRow, policy: Policy, now: datetime
) -> Event | None:
    """The event for the dialog after its storage work; None: nothing more to do."""
    ingester = _INGESTERS.get(type(event))
    if ingester is None:
        return event
    return await ingester(event, IntakeContext(tx, conversation, policy, now))
