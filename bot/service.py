"""ConversationService: the only writer of conversation state.

Every event — from a channel, the scheduler, the agent console or a payment webhook — enters
through `handle`, which follows the one path in DESIGN.md:

    lock the conversation → drop duplicates → load state and context → agent owns it? →
    dialogs.step (pure) → carry out the actions → commit everything in ONE transaction

After the commit the outbox worker and live listeners (web chat, console) are woken up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.activity import Activity
from bot.channels.base import (
    ChannelName,
    Inbound,
    OutboundMessage,
    RefusedMessage,
    SendErrorKind,
    Template,
)
from bot.clock import Clock
from bot.effects import Effects
from bot.effects.intake import ingest
from bot.events_codec import (
    AGENT_EVENTS,
    DEBTOR_EVENTS,
    describe_inbound,
    inbound_author,
    inbound_text,
)
from bot.locks import KeyedLocks
from bot.notify import Notifier
from bot.outbound_codec import from_dict
from bot.refusals import Refusals
from dialogs.documents import phone_variants
from dialogs.flow import Context, State, initial_context, step
from dialogs.flow.events import (
    AgentSays,
    Event,
)
from dialogs.flow.snapshots import DebtorSnapshot
from dialogs.frozen import evolve
from dialogs.negotiation.policy import Policy
from storage import ConversationRow, Database, GroupRolledBackError, UnitOfWork
from storage.enums import DeliveryStatus
from storage.priority_semaphore import PrioritySemaphore
from storage.repositories.conversations import StaleConversationError
from storage.rows import LockedChat, NewInbound

log = logging.getLogger(__name__)

MAX_FOLLOW_UPS = 8  # lookups answered inside one call; a longer chain is a bug
MAX_EVENTS_IN_PROGRESS = 64
"""Events the service works on at once; the others wait their turn in arrival order.

asyncio runs every ready task once per turn of its loop. A burst of a thousand events makes
a thousand tasks ready, each turn then takes up to seconds, and everything else in the
process (the outbox's deliveries, the WAL's checkpoints, `/healthz`) moves one step per
turn: in the bench's closed loop the outbox's first claim came 7 s in. With a bound, the
waiting events are not ready and a turn stays short. 64 keeps SQLite's commit groups full
(12) and PostgreSQL's connections (8) busy."""
MAX_STORED_TEXT = 4096


@dataclass(frozen=True, slots=True)
class HandleResult:
    conversation_id: int
    duplicate: bool = False
    replies: int = 0
    state: str = ""


class ConversationService:
    """Serialises work per conversation and commits each event atomically."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        notifier: Notifier | None = None,
        refusals: Refusals | None = None,
        *,
        max_in_progress: int = MAX_EVENTS_IN_PROGRESS,
    ) -> None:
        self._db = db
        self._policy = policy
        self._clock = clock
        self._notifier = notifier or Notifier()
        self._locks = KeyedLocks()
        self._in_progress = PrioritySemaphore(max_in_progress)
        self._on_commit: list[Callable[[], None]] = []
        self._refusals = refusals or Refusals()
        self._activity = Activity()

    @property
    def notifier(self) -> Notifier:
        return self._notifier

    @property
    def policy(self) -> Policy:
        return self._policy

    def replace_policy(self, policy: Policy) -> None:
        """Use `policy` from the next event on (an admin saved it in the console); events
        already running finish with the policy they started with."""
        self._policy = policy

    @property
    def db(self) -> Database:
        return self._db

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` after every commit that queued outbound messages (wakes the outbox)."""
        self._on_commit.append(callback)

    async def accept(self, inbound: Inbound) -> None:
        """InboundSink: handle the event now; returns once it is durably committed."""
        await self.handle(inbound)

    async def delivery_status(
        self,
        channel: ChannelName,
        channel_message_id: str,
        status: str,
        at: datetime,
        error: str | None = None,
        kind: SendErrorKind | None = None,
    ) -> None:
        """DeliveryStatusSink: a platform told us what happened to a message we sent.

        A `failed` status that says why (`kind`) means what a refusal at send time means
        (`bot.refusals`): the contact is marked unreachable or opted out, or a template goes
        in the message's place. Only when the status changed the message: a status the
        platform repeats does nothing the second time."""
        async with self._db.transaction() as tx:
            changed = await tx.messages.set_delivery(
                channel.value, channel_message_id, status, error
            )
            if not changed or status != DeliveryStatus.FAILED or kind is None:
                return
            refused = await _refused(tx, channel, channel_message_id)
            if refused is None:
                return
            reason = error or kind.value
            note = await self._refusals.record(tx, kind, refused, reason, self._clock.now())
        if note is not None:
            for callback in self._on_commit:  # wake the outbox: a template may be queued
                callback()

    async def handle(self, inbound: Inbound) -> HandleResult:
        """Handle one event; returns once it is durably committed. At most
        `max_in_progress` events are handled at once, the others wait in arrival order, and
        only then for their chat's lock, so a chat's events keep their order. Never call it
        from inside an event: that event would wait for a turn it may be holding up."""
        async with self._in_progress, self._locks.hold(inbound.key):
            result = await self._handle_locked(inbound)
        if not result.duplicate:
            if result.replies:
                for callback in self._on_commit:
                    callback()
            self._notifier.publish_conversation(result.conversation_id)
        summary = self._activity.count(
            self._clock.now(), duplicate=result.duplicate, replies=result.replies
        )
        if summary is not None:
            log.info(summary)
        return result

    async def _handle_locked(self, inbound: Inbound) -> HandleResult:
        if self._db.dialect == "postgresql":
            try:
                return await self._handle_once(inbound, optimistic=True)
            except StaleConversationError:
                # Another process wrote the chat after it was read: nothing was stored.
                log.info("a chat changed between its read and its save; handling it again locked")
            return await self._handle_once(inbound, optimistic=False)
        try:  # SQLite: the event's transaction without a savepoint of its own
            return await self._handle_once(inbound, optimistic=False, retryable=True)
        except GroupRolledBackError:
            # Another event of its commit group failed and took this one's work with it:
            # nothing was stored. This time with a savepoint, so that cannot happen twice.
            log.info("an event's commit group was rolled back; handling it again")
        return await self._handle_once(inbound, optimistic=False)

    async def _handle_once(
        self, inbound: Inbound, *, optimistic: bool, retryable: bool = False
    ) -> HandleResult:
        """One attempt at the event in one transaction. `optimistic` (PostgreSQL): read the
        chat without locking it and save only if nobody wrote it meanwhile (`read_unlocked`);
        a plain step is then two statements and no transaction block. `retryable` (SQLite):
        the caller handles `GroupRolledBackError` by calling again."""
        now = self._clock.now()
        event = inbound.event
        policy = self._policy  # one policy for the whole event, even if replaced meanwhile
        async with self._db.transaction(retryable=retryable) as tx:
            opened, unstored = await self._open(tx, inbound, now, optimistic=optimistic)
            conv = opened.row
            if not opened.new:
                return HandleResult(conv.id, duplicate=True, state=conv.state)
            loaded = conv
            if isinstance(event, DEBTOR_EVENTS):
                conv = evolve(conv, last_inbound_at=now)
            ingested = await ingest(event, tx, conv, policy, now)
            if ingested is None:
                # Storage took it all (a payment recorded, a check with nothing due). The
                # version still moves: a writer that waited for this chat reads again.
                if unstored is None:
                    await tx.conversations.touch(conv.id)
                else:
                    await tx.conversations.save(loaded, now=now, inbound=unstored)
                return HandleResult(conv.id, state=conv.state)
            # Read with the lock, unless intake changed the debts or agreements since.
            snapshot: DebtorSnapshot | None = opened.snapshot if ingested is event else None
            event = ingested

            if conv.mode == "agent" and not isinstance(event, AGENT_EVENTS):
                # The agent owns the chat: the message is recorded, the console is told,
                # and the bot stays silent.
                await tx.conversations.save(conv, now=now, loaded=loaded, inbound=unstored)
                return HandleResult(conv.id, state=conv.state)

            effects = Effects(tx, conv, policy, now)
            if isinstance(event, AgentSays):
                # Agents talk to the debtor directly; the dialog neither sees nor answers it.
                effects.say(agent_message(event, policy), author="agent")
                replies = await effects.flush(conv, loaded=loaded, inbound=unstored)
                return HandleResult(conv.id, replies=replies, state=conv.state)

            context = Context.from_json(conv.context_json)
            if inbound.locale and inbound.locale != context.locale:
                context = context.with_locale(inbound.locale)
            state = State(conv.state)
            pending: list[Event] = [event]
            for _ in range(MAX_FOLLOW_UPS):
                if not pending:
                    break
                current = pending.pop(0)
                debtor_id = effects.conversation.debtor_id
                if debtor_id is not None:
                    # Read once per event, again only when a step linked another debtor or
                    # an effect changed this one's debts or agreements.
                    changed = effects.take_debtor_changed()
                    if snapshot is None or snapshot.debtor_id != debtor_id or changed:
                        snapshot = await tx.debtors.snapshot(debtor_id)
                    context = context.with_debtor(snapshot)
                transition = step(state, context, current, policy, now)
                state, context = transition.state, transition.context
                for action in transition.actions:
                    follow_up = await effects.apply(action, context)
                    if follow_up is not None:
                        pending.append(follow_up)
            else:
                log.error("conversation %s: follow-up chain cut short", conv.id)

            conv = evolve(
                effects.conversation,
                state=state.value,
                context_json=context.to_json(),
                mode=effects.mode_after(conv.mode, event),
            )
            replies = await effects.flush(conv, loaded=loaded, inbound=unstored)
        if log.isEnabledFor(logging.DEBUG):  # (at INFO: `Activity`'s line a minute)
            log.debug(
                "handled %s conv=%s state=%s replies=%d",
                describe_inbound(inbound),
                conv.id,
                conv.state,
                replies,
            )
        return HandleResult(conv.id, replies=replies, state=conv.state)

    async def _open(
        self, tx: UnitOfWork, inbound: Inbound, now: datetime, *, optimistic: bool
    ) -> tuple[LockedChat, NewInbound | None]:
        """Lock (or create) the chat and record the event (`new` is False if seen before).

        A message for an existing chat is locked and stored, and its debtor's snapshot read,
        in one statement (one round trip to PostgreSQL instead of three). `optimistic`: read
        without the lock, and return the message, which the save stores (else None); a
        missing chat is then created on its own first (committed, but without the message:
        a crash before the save leaves an empty chat, and the redelivery is answered)."""
        message = _inbound_message(inbound, now)
        if message is not None:
            channel, address = inbound.key.channel.value, inbound.key.address
            if optimistic:
                read = await tx.conversations.read_unlocked(channel, address, message)
                if read is None:
                    read = await tx.conversations.create_unlocked(
                        channel,
                        address,
                        message,
                        state=State.NEW.value,
                        context=_new_chat_context(inbound),
                        locale=inbound.locale,
                        now=now,
                        phones=_sender_phones(inbound),
                    )
                return read, message
            else:
                locked = await tx.conversations.lock_recording(channel, address, message)
                if locked is not None:
                    return locked, None
        # A chat just found missing is not looked up again before its creators queue up.
        conv = await self._load_or_create(tx, inbound, now, missing=message is not None)
        return LockedChat(conv, await self._record_inbound(tx, conv.id, inbound, now), None), None

    async def _load_or_create(
        self, tx: UnitOfWork, inbound: Inbound, now: datetime, *, missing: bool = False
    ) -> ConversationRow:
        channel, address = inbound.key.channel.value, inbound.key.address
        if not missing:
            conv = await tx.conversations.get_for_update(channel, address)  # the row lock
            if conv is not None:
                return conv
        # No row to lock yet. Creators in other processes queue on the unique keys instead:
        # inserting a contact or chat that another transaction inserted waits for its commit,
        # and then finds that transaction's row (`get_or_create`, `create`).
        contact = await tx.contacts.get_or_create(channel, address, locale=inbound.locale, now=now)
        debtor_id = contact.debtor_id
        phones = _sender_phones(inbound)
        if debtor_id is None and phones:
            # WhatsApp tells us the phone number; it links the chat (verification still applies).
            debtor = await tx.debtors.by_phone(phones)
            if debtor is not None:
                debtor_id = debtor.id
                await tx.contacts.link(contact.id, debtor_id)
        return await tx.conversations.create(
            channel,
            address,
            state=State.NEW.value,
            context=_new_chat_context(inbound),
            contact_id=contact.id,
            debtor_id=debtor_id,
            now=now,
        )

    async def _record_inbound(
        self, tx: UnitOfWork, conversation_id: int, inbound: Inbound, now: datetime
    ) -> bool:
        """Store the debtor's message (or the event's idempotency key); False if seen before."""
        if inbound.message_id is None and inbound.idempotency_key is not None:
            recorded = await tx.inbound.record("event", inbound.idempotency_key, "{}")
            if recorded is None:
                return False
        message = _stored_message(inbound, now)
        if message is None:
            return True
        channel = inbound.key.channel.value
        return await tx.messages.add_new_inbound(conversation_id, channel, message) is not None


def _new_chat_context(inbound: Inbound) -> dict[str, Any]:
    """A new chat's first context, in the locale the channel says the sender uses."""
    return initial_context(inbound.locale or "pt_BR").to_dict()


def _sender_phones(inbound: Inbound) -> list[str]:
    """The spellings of the sender's phone number when the channel tells it (WhatsApp): a new
    chat is linked to the debtor with that phone (verification still applies)."""
    if inbound.key.channel is not ChannelName.WHATSAPP:
        return []
    return phone_variants("+" + inbound.key.address.lstrip("+"))


def _inbound_message(inbound: Inbound, now: datetime) -> NewInbound | None:
    """The message to store with the chat's lock; None when an idempotency key must be
    recorded first (an event without a message id) or there is nothing to store."""
    if inbound.message_id is None and inbound.idempotency_key is not None:
        return None
    return _stored_message(inbound, now)


def _stored_message(inbound: Inbound, now: datetime) -> NewInbound | None:
    """The transcript row for `inbound`; None for an event without message id or text."""
    text = inbound_text(inbound.event)[:MAX_STORED_TEXT]
    if inbound.message_id is None and not text:
        return None
    received_at = inbound.received_at if inbound.message_id else now
    return NewInbound(inbound.message_id, text, inbound_author(inbound.event), received_at)


async def _refused(
    tx: UnitOfWork, channel: ChannelName, channel_message_id: str
) -> RefusedMessage | None:
    """The refused message as the outbox sent it, and where it was going."""
    message = await tx.messages.by_channel_id(channel.value, channel_message_id)
    if message is None:
        return None
    conversation = await tx.conversations.get(message.conversation_id)
    if conversation is None:
        return None
    sent = from_dict(message.payload) if message.payload else OutboundMessage(text=message.text)
    return RefusedMessage(conversation.id, channel.value, conversation.address, sent)


def agent_message(event: AgentSays, policy: Policy) -> OutboundMessage:
    """Free text, or an approved template when the agent picked one (WhatsApp window)."""
    template = policy.template(event.template_key) if event.template_key else None
    if template is None:
        return OutboundMessage(text=event.text)
    return OutboundMessage(
        text=event.text,
        template=Template(template.name, template.language, event.template_params),
    )
