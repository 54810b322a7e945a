"""Plain, immutable records the repositories return (no ORM objects, no lazy loading).

Rows are frozen: to change a conversation, `dataclasses.replace` it and hand it to `save`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Self

from storage.prepared import picker
from storage.types import load_json

if TYPE_CHECKING:  # dialogs.flow's package import loads the whole dialog machine
    from dialogs.flow.snapshots import DebtorSnapshot

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The dataclass's field names, looked up once per class (rows are built per statement).

    A dict rather than `functools.cache`: typeshed's cache wants a Hashable argument, which
    mypy does not see in a dataclass type."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


_FIELD_PICKERS: dict[type, Callable[[Mapping[str, Any]], tuple[Any, ...]]] = {}


class _FromRow:
    """Builds the dataclass from a SQLAlchemy result row, picking the fields it declares."""

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Self:
        # Positionally, in the fields' order, picked in C: a dict of keyword arguments for a
        # frozen dataclass's 15 fields (an outbox row) cost ~8,000 instructions more per row.
        pick = _FIELD_PICKERS.get(cls)
        if pick is None:
            pick = _FIELD_PICKERS[cls] = picker(_field_names(cls))
        return cls(*pick(row))


@dataclass(frozen=True, slots=True)
class DebtorRow(_FromRow):
    id: int
    external_id: str
    name: str
    cpf: str
    birth_date: date | None
    email: str | None
    phone: str | None
    state: str | None
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None


@dataclass(frozen=True, slots=True)
class DebtRow(_FromRow):
    id: int
    debtor_id: int
    contract: str
    description: str
    principal_cents: int
    due_date: date
    status: str
    paid_cents: int
    boleto_line: str | None


@dataclass(frozen=True, slots=True)
class ContactRow(_FromRow):
    id: int
    debtor_id: int | None
    channel: str
    address: str
    verified_at: datetime | None
    locked_until: datetime | None
    failed_attempts: int
    unreachable_at: datetime | None
    unreachable_reason: str | None
    opted_out_at: datetime | None
    locale: str | None


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """A chat's state. `context_json` is the JSON object the service keeps between events,
    as stored: the service parses it straight into its own type, once per event."""

    id: int
    channel: str
    address: str
    contact_id: int | None
    debtor_id: int | None
    state: str
    context_json: str
    mode: str
    assigned_agent_id: int | None
    version: int
    last_inbound_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> ConversationRow:
        values = {name: row[name] for name in _field_names(cls) if name != "context_json"}
        return cls(**values, context_json=row["context"] or "{}")

    @property
    def context(self) -> dict[str, Any]:
        """The context as a plain JSON object (parsed on every access)."""
        context: dict[str, Any] = load_json(self.context_json)
        return context


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: int
    conversation_id: int
    direction: str
    author: str
    text: str
    payload: dict[str, Any] | None
    channel: str
    channel_message_id: str | None
    delivery_status: str
    created_at: datetime
    delivery_error: str | None = None  # why it failed: platform error code or outbox reason

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> MessageRow:
        values = {name: row[name] for name in _field_names(cls)}
        values["payload"] = load_json(row["payload"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class InboundRow(_FromRow):
    """A raw update as the platform sent it; `payload` is the original JSON text."""

    id: int
    channel: str
    external_id: str
    payload: str
    received_at: datetime
    processed_at: datetime | None
    error: str | None


@dataclass(frozen=True, slots=True)
class NewInbound:
    """A received message, stored with the chat it came to (`Conversations.lock_recording`)."""

    channel_message_id: str | None
    text: str
    author: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class LockedChat:
    """A chat locked for an event (`Conversations.lock_recording`): its row, whether the
    event's message was new (False: a duplicate, nothing stored), and its debtor's snapshot
    as of the lock, read only for a new message (None: no debtor linked, or erased)."""

    row: ConversationRow
    new: bool
    snapshot: DebtorSnapshot | None


@dataclass(frozen=True, slots=True)
class ContactVerified:
    """The chat's contact proved it is this debtor (by CPF): linked, verified, its failed
    attempts and lock forgotten. Stored with the conversation's save, so both or neither."""

    contact_id: int
    debtor_id: int


@dataclass(frozen=True, slots=True)
class NewReply:
    """One outbound message to store and queue: transcript text and `payload`, the rendered
    message as JSON text (kept with the transcript and delivered by the outbox). `refused`
    says why it must not be sent at all: it is then stored as failed, with no delivery.
    `proactive`: the bot wrote first (a reminder, outreach), which the cadence counts."""

    text: str
    payload: str
    author: str
    refused: str | None = None
    proactive: bool = False


@dataclass(frozen=True, slots=True)
class NewJob:
    """One job to schedule once per `key` (see `Jobs.schedule`)."""

    kind: str
    run_at: datetime
    key: str
    ref: str = ""


@dataclass(frozen=True, slots=True)
class NewOutbox:
    """One outbound delivery to enqueue; `payload` is the rendered message as JSON text,
    `proactive` as for `NewReply`."""

    conversation_id: int
    channel: str
    address: str
    payload: str
    idempotency_key: str
    message_id: int | None = None
    available_at: datetime | None = None
    proactive: bool = False


@dataclass(frozen=True, slots=True)
class OutboxRow(_FromRow):
    id: int
    conversation_id: int
    message_id: int | None
    channel: str
    address: str
    payload: str
    idempotency_key: str
    status: str
    attempts: int
    available_at: datetime
    claimed_until: datetime | None
    last_error: str | None
    channel_message_id: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewInstallment:
    number: int
    amount_cents: int
    due_date: date


@dataclass(frozen=True, slots=True)
class InstallmentRow(_FromRow):
    id: int
    agreement_id: int
    number: int
    amount_cents: int
    due_date: date
    status: str
    txid: str
    paid_cents: int
    paid_at: datetime | None


@dataclass(frozen=True, slots=True)
class AgreementRow:
    id: int
    debtor_id: int
    conversation_id: int | None
    status: str
    payment_channel: str
    total_cents: int
    discount_cents: int
    created_at: datetime
    completed_at: datetime | None
    debt_ids: tuple[int, ...] = ()
    installments: tuple[InstallmentRow, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class PaymentRow(_FromRow):
    id: int
    installment_id: int | None
    agreement_id: int
    amount_cents: int
    paid_at: datetime
    source: str
    external_id: str
    flagged: bool
    note: str | None


@dataclass(frozen=True, slots=True)
class EscalationRow(_FromRow):
    id: int
    conversation_id: int
    reason: str
    summary: str
    priority: int
    status: str
    agent_id: int | None
    created_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class JobRow(_FromRow):
    id: int
    kind: str
    run_at: datetime
    key: str
    ref: str
    conversation_id: int | None
    debtor_id: int | None
    status: str
    attempts: int
    claimed_until: datetime | None
    result: str | None


@dataclass(frozen=True, slots=True)
class AgentRow(_FromRow):
    id: int
    email: str
    name: str
    role: str
    password_hash: str
    active: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AgentSessionRow(_FromRow):
    id: str
    agent_id: int
    csrf_token: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> AuditRow:
        values = {name: row[name] for name in _field_names(cls)}
        values["detail"] = load_json(row["detail"]) or {}
        return cls(**values)
