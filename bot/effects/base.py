"""The effect registry and the per-event `Effects` that applies actions and flushes replies."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from bot.channels.base import OutboundMessage
from bot.outbound_codec import dump
from dialogs.flow import Context, initial_context
from dialogs.flow.actions import Action
from dialogs.flow.events import (
    AgentClaimed,
    AgentClosed,
    AgentProposedPlan,
    AgentReleased,
    Event,
)
from dialogs.negotiation.policy import Policy
from storage import AgreementRow, ConversationRow, NewReply, UnitOfWork
from storage.rows import ContactVerified, NewInbound

log = logging.getLogger(__name__)

A = TypeVar("A")

# The context an `EffectContext` holds until the first action brings the step's own (frozen,
# so one shared value; not built again for every event).
_NOT_STARTED = initial_context()


@dataclass
class EffectContext:
    """What a handler may read and change while the event's transaction is open."""

    tx: UnitOfWork
    conversation: ConversationRow
    policy: Policy
    now: datetime
    context: Context
    outbound: list[tuple[OutboundMessage, str]] = field(default_factory=list)
    escalated: bool = False
    closed: bool = False
    created_agreement: int | None = None
    verified: ContactVerified | None = None  # written with the save (`flush`)
    # `changed_debtor` calls so far, and how many the service has seen (`take_debtor_changed`):
    # it re-reads the debtor snapshot before the next dialog step only after a new one.
    _changes: int = field(default=0, init=False)
    _changes_seen: int = field(default=0, init=False)
    # What `agreement` read, with `_changes` at the time.
    _agreements: dict[int, tuple[int, AgreementRow | None]] = field(
        default_factory=dict, init=False
    )

    def say(self, message: OutboundMessage, author: str = "bot") -> None:
        self.outbound.append((message, author))

    def changed_debtor(self) -> None:
        """A handler wrote the debtor's debts or agreements."""
        self._changes += 1

    @property
    def debtor_changed(self) -> bool:
        """A handler changed the debtor's data since the service last looked."""
        return self._changes != self._changes_seen

    def take_debtor_changed(self) -> bool:
        """`debtor_changed`, and from now on only later changes count."""
        changed, self._changes_seen = self.debtor_changed, self._changes
        return changed

    def remember_agreement(self, agreement: AgreementRow) -> None:
        """An agreement as a handler just wrote it: `agreement` answers with it until the
        next change to the debtor's data."""
        self._agreements[agreement.id] = (self._changes, agreement)

    async def agreement(self, agreement_id: int) -> AgreementRow | None:
        """The agreement, read once per event until a handler changes the debtor's data:
        the payment instructions and the installment checks of a new deal both need it."""
        cached = self._agreements.get(agreement_id)
        if cached is not None and cached[0] == self._changes:
            return cached[1]
        found = await self.tx.agreements.get(agreement_id)
        self._agreements[agreement_id] = (self._changes, found)
        return found


Handler = Callable[[Any, EffectContext], Awaitable[Event | None]]
_HANDLERS: dict[type, Handler] = {}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply about to be written; `refused` (a reason) records it as failed, unsent."""

    message: OutboundMessage
    author: str
    refused: str | None = None


OutboundGuard = Callable[[EffectContext, list[Outgoing]], Awaitable[list[Outgoing]]]
_GUARDS: list[OutboundGuard] = []


def guards_outbound(guard: OutboundGuard) -> OutboundGuard:
    """Register a last look at a flush's replies (e.g. WhatsApp's 24 h window) before queuing."""
    _GUARDS.append(guard)
    return guard


def handles(
    action_type: type[A],
) -> Callable[[Callable[[A, EffectContext], Awaitable[Event | None]]], Handler]:
    """Register the handler of one action type (exactly one per type)."""

    def register(handler: Callable[[A, EffectContext], Awaitable[Event | None]]) -> Handler:
        if action_type in _HANDLERS:
            raise RuntimeError(f"two handlers for {action_type.__name__}")
        _HANDLERS[action_type] = handler
        return handler

    return register


class Effects:
    def __init__(
        self, tx: UnitOfWork, conv: ConversationRow, policy: Policy, now: datetime
    ) -> None:
        self._state = EffectContext(tx, conv, policy, now, _NOT_STARTED)

    @property
    def conversation(self) -> ConversationRow:
        return self._state.conversation

    async def apply(self, action: Action, context: Context) -> Event | None:
        handler = _HANDLERS.get(type(action))
        if handler is None:
            raise RuntimeError(f"no effect handler for {type(action).__name__}")
        self._state.context = context
        return await handler(action, self._state)

    def say(self, message: OutboundMessage, author: str = "bot") -> None:
        self._state.say(message, author)

    def take_debtor_changed(self) -> bool:
        """Whether an effect changed the debtor's data since the last call (then resets)."""
        return self._state.take_debtor_changed()

    def mode_after(self, mode: str, event: Event) -> str:
        """The conversation's mode after this event: who is expected to talk next."""
        state = self._state
        if isinstance(event, AgentClaimed):
            return "agent"
        if isinstance(event, AgentReleased | AgentProposedPlan):
            return "bot"
        if isinstance(event, AgentClosed) or state.closed:
            return "closed"
        if state.escalated:
            return "queued"
        if mode == "closed":
            return "bot"
        return mode

    async def flush(
        self, conv: ConversationRow, *, loaded: ConversationRow, inbound: NewInbound | None = None
    ) -> int:
        """Save the conversation as `conv` (loaded as `loaded`) and store its outbound
        messages, queueing their delivery in dialog order; return how many were queued
        (refused ones are stored as failed). `inbound`: the message answered, if it is
        stored with the save (see `Conversations.save`)."""
        state = self._state
        planned = [Outgoing(message, author) for message, author in state.outbound]
        for guard in _GUARDS:
            planned = await guard(state, planned)
        replies = [_reply(item) for item in planned]
        await state.tx.conversations.save(
            conv,
            now=state.now,
            loaded=loaded,
            replies=replies,
            inbound=inbound,
            verified=state.verified,
        )
        state.outbound.clear()
        return sum(1 for reply in replies if reply.refused is None)


def _reply(item: Outgoing) -> NewReply:
    return NewReply(
        text=item.message.text or item.message.image_caption,
        payload=dump(item.message),
        author=item.author,
        refused=item.refused,
        proactive=item.message.proactive,
    )
