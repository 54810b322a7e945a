"""Every table Quita stores, as SQLModel classes (the single source of the schema).

The constraints here are what make duplicates impossible, whoever writes: one message per
(channel, channel message id), one debt per (debtor, contract), one outbox row per
idempotency key, one job per key. Money is integer cents; times are aware UTC.
The Alembic migrations must produce exactly this schema (a test compares them).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    Index,
    MetaData,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy import text as sql_text
from sqlmodel import Field, SQLModel

from storage.enums import (
    AgentRole,
    AgreementStatus,
    Author,
    ConversationMode,
    DebtStatus,
    DeliveryStatus,
    Direction,
    EscalationStatus,
    InstallmentStatus,
    JobStatus,
    OutboxStatus,
    PaymentSource,
)
from storage.types import UTCDateTime, utc_now

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Deterministic constraint names keep future migrations (and SQLite batch mode) predictable.
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

CHANNELS = ("telegram", "whatsapp", "webchat")
ONE_OF = "one_of"  # key in a CheckConstraint's `info`: (column, allowed values)


def _one_of(
    column: str, values: type[enum.StrEnum] | tuple[str, ...], name: str
) -> CheckConstraint:
    """`column` takes only `values`. A CHECK constraint on SQLite, spelled as comparisons
    rather than `IN (...)`, which SQLite evaluates with a temporary table on every write
    (migration 0016); on PostgreSQL the column's type is a domain named `<table>_<column>`
    with the same rule (migration 0013 says why)."""
    allowed = tuple(str(value) for value in values)
    rule = " OR ".join(f"{column} = '{value}'" for value in allowed)
    return CheckConstraint(rule, name=name, info={ONE_OF: (column, allowed)})


def one_of_columns() -> dict[tuple[str, str], tuple[str, ...]]:
    """Every column restricted to a list of values: (table, column) -> the values."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if ONE_OF in constraint.info:
                column, allowed = constraint.info[ONE_OF]
                found[(table.name, column)] = allowed
    return found


def _when(*, nullable: bool = True, default_now: bool = False, index: bool = False) -> Any:
    kwargs: dict[str, Any] = {"default": utc_now} if default_now else {}
    return Field(
        default=None,
        sa_type=UTCDateTime,
        nullable=nullable and not default_now,
        index=index,
        sa_column_kwargs=kwargs,
    )


def _cents(default: int | None = None) -> Any:
    if default is None:
        return Field(sa_type=BigInteger, nullable=False)
    return Field(default=default, sa_type=BigInteger, nullable=False)


def _text(*, nullable: bool = False) -> Any:
    return Field(default=None if nullable else "", sa_type=Text, nullable=nullable)


class Debtor(SQLModel, table=True):
    __tablename__ = "debtor"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    cpf: str = Field(max_length=11, index=True)
    birth_date: date | None = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20, index=True)
    state: str | None = Field(default=None, max_length=2)
    created_at: datetime = _when(default_now=True)
    updated_at: datetime = _when(default_now=True)
    erased_at: datetime | None = _when()


class Debt(SQLModel, table=True):
    __tablename__ = "debt"
    __table_args__ = (
        UniqueConstraint("debtor_id", "contract"),
        _one_of("status", DebtStatus, "status"),
        Index(None, "status", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    debtor_id: int = Field(foreign_key="debtor.id")
    contract: str = Field(max_length=64)
    description: str = _text()
    principal_cents: int = _cents()
    due_date: date
    status: str = Field(default=DebtStatus.OPEN.value, max_length=16)
    paid_cents: int = _cents(0)
    boleto_line: str | None = Field(default=None, max_length=48)
    created_at: datetime = _when(default_now=True)
    updated_at: datetime = _when(default_now=True)


class Contact(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("channel", "address"),
        _one_of("channel", CHANNELS, "channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    debtor_id: int | None = Field(default=None, foreign_key="debtor.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=128)
    verified_at: datetime | None = _when()
    locked_until: datetime | None = _when()
    failed_attempts: int = 0
    unreachable_at: datetime | None = _when()
    unreachable_reason: str | None = Field(default=None, max_length=200)
    opted_out_at: datetime | None = _when()
    locale: str | None = Field(default=None, max_length=16)
    created_at: datetime = _when(default_now=True)


class Agent(SQLModel, table=True):
    __tablename__ = "agent"
    __table_args__ = (_one_of("role", AgentRole, "role"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    role: str = Field(default=AgentRole.AGENT.value, max_length=16)
    password_hash: str = Field(max_length=255)
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = _when()
    created_at: datetime = _when(default_now=True)


class Conversation(SQLModel, table=True):
    __tablename__ = "conversation"
    __table_args__ = (
        UniqueConstraint("channel", "address"),
        _one_of("channel", CHANNELS, "channel"),
        _one_of("mode", ConversationMode, "mode"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=128)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    debtor_id: int | None = Field(default=None, foreign_key="debtor.id", index=True)
    state: str = Field(max_length=64)
    context: str = Field(default="{}", sa_type=Text)
    mode: str = Field(default=ConversationMode.BOT.value, max_length=16, index=True)
    assigned_agent_id: int | None = Field(default=None, foreign_key="agent.id")
    version: int = 0
    last_inbound_at: datetime | None = _when()
    created_at: datetime = _when(default_now=True)
    updated_at: datetime = _when(default_now=True)


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("channel", "channel_message_id"),
        Index(None, "conversation_id", "id"),
        _one_of("direction", Direction, "direction"),
        _one_of("author", Author, "author"),
        _one_of("delivery_status", DeliveryStatus, "delivery_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    direction: str = Field(max_length=3)
    author: str = Field(max_length=8)
    text: str = _text()
    payload: str | None = _text(nullable=True)
    channel: str = Field(max_length=16)
    channel_message_id: str | None = Field(default=None, max_length=128)
    delivery_status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16)
    created_at: datetime = _when(default_now=True)
    # Why delivery failed (e.g. "whatsapp error 131047"), for the console; never personal data.
    delivery_error: str | None = Field(default=None, max_length=200)


class Inbound(SQLModel, table=True):
    __tablename__ = "inbound"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        Index(None, "processed_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    payload: str = Field(sa_type=Text)
    received_at: datetime = _when(default_now=True)
    processed_at: datetime | None = _when()
    error: str | None = _text(nullable=True)


OUTBOX_UNSENT = "status IN ('pending', 'sending')"
OUTBOX_PROACTIVE = "proactive"
OUTBOX_FILLFACTOR = 50


class Outbox(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        # Proactive rows only (a few a week per debtor), for the cadence's count: an index of
        # every row by chat cost each reply an entry in a random place of a large index.
        Index(
            None,
            "conversation_id",
            "created_at",
            sqlite_where=sql_text(OUTBOX_PROACTIVE),
            postgresql_where=sql_text(OUTBOX_PROACTIVE),
        ),
        # Unsent rows only, so claiming finds each chat's oldest row without reading history.
        Index(
            None,
            "channel",
            "conversation_id",
            "id",
            sqlite_where=sql_text(OUTBOX_UNSENT),
            postgresql_where=sql_text(OUTBOX_UNSENT),
        ),
        _one_of("status", OutboxStatus, "status"),
        # Pages filled to half by new rows keep room for each row's claim, which PostgreSQL
        # then writes in place (a HOT update: no new index entries; migration 0018).
        {"postgresql_with": {"fillfactor": OUTBOX_FILLFACTOR}},
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")
    channel: str = Field(max_length=16)
    address: str = Field(max_length=128)
    payload: str = Field(sa_type=Text)
    idempotency_key: str = Field(max_length=200, unique=True)
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=16)
    attempts: int = 0
    available_at: datetime = _when(default_now=True)
    claimed_until: datetime | None = _when()
    last_error: str | None = _text(nullable=True)
    channel_message_id: str | None = Field(default=None, max_length=128)
    created_at: datetime = _when(default_now=True)
    sent_at: datetime | None = _when()
    # The bot wrote first (a reminder, outreach): what the cadence's limits count.
    proactive: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class SendBudget(SQLModel, table=True):
    """A channel's sending rate shared by every process's outbox: a token bucket in a row.

    Each delivery round takes its rows' worth of tokens under the row's lock, so several
    processes together stay within the platform's global limit (Telegram ~30/s)."""

    __tablename__ = "send_budget"

    channel: str = Field(primary_key=True, max_length=16)
    tokens: float = Field(sa_type=Float, nullable=False)
    refilled_at: datetime = _when(nullable=False)


class Agreement(SQLModel, table=True):
    __tablename__ = "agreement"
    __table_args__ = (_one_of("status", AgreementStatus, "status"),)

    id: int | None = Field(default=None, primary_key=True)
    debtor_id: int = Field(foreign_key="debtor.id", index=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    status: str = Field(default=AgreementStatus.ACTIVE.value, max_length=16)
    payment_channel: str = Field(max_length=16)
    total_cents: int = _cents()
    discount_cents: int = _cents(0)
    created_at: datetime = _when(default_now=True)
    completed_at: datetime | None = _when()


class AgreementDebt(SQLModel, table=True):
    __tablename__ = "agreement_debt"

    agreement_id: int = Field(foreign_key="agreement.id", primary_key=True)
    debt_id: int = Field(foreign_key="debt.id", primary_key=True, index=True)


class Installment(SQLModel, table=True):
    __tablename__ = "installment"
    __table_args__ = (
        UniqueConstraint("agreement_id", "number"),
        Index(None, "status", "due_date"),
        _one_of("status", InstallmentStatus, "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id")
    number: int
    amount_cents: int = _cents()
    due_date: date
    status: str = Field(default=InstallmentStatus.PENDING.value, max_length=16)
    txid: str = Field(max_length=35, unique=True)
    paid_cents: int = _cents(0)
    paid_at: datetime | None = _when()


class Payment(SQLModel, table=True):
    __tablename__ = "payment"
    __table_args__ = (_one_of("source", PaymentSource, "source"),)

    id: int | None = Field(default=None, primary_key=True)
    installment_id: int | None = Field(default=None, foreign_key="installment.id")
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    amount_cents: int = _cents()
    paid_at: datetime = _when(nullable=False)
    source: str = Field(max_length=16)
    external_id: str = Field(max_length=128, unique=True)
    flagged: bool = False
    note: str | None = _text(nullable=True)


class Escalation(SQLModel, table=True):
    __tablename__ = "escalation"
    __table_args__ = (
        Index(None, "status", "priority"),
        _one_of("status", EscalationStatus, "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    reason: str = Field(max_length=64)
    summary: str = _text()
    priority: int = 0
    status: str = Field(default=EscalationStatus.OPEN.value, max_length=16)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = _when(default_now=True)
    claimed_at: datetime | None = _when()
    closed_at: datetime | None = _when()


class ScheduledJob(SQLModel, table=True):
    __tablename__ = "scheduled_job"
    __table_args__ = (
        Index(None, "status", "run_at"),
        _one_of("status", JobStatus, "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    run_at: datetime = _when(nullable=False)
    key: str = Field(max_length=200, unique=True)
    ref: str = Field(default="", max_length=200)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    debtor_id: int | None = Field(default=None, foreign_key="debtor.id")
    status: str = Field(default=JobStatus.PENDING.value, max_length=16)
    attempts: int = 0
    claimed_until: datetime | None = _when()
    result: str | None = _text(nullable=True)
    created_at: datetime = _when(default_now=True)


class InviteToken(SQLModel, table=True):
    __tablename__ = "invite_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    debtor_id: int = Field(foreign_key="debtor.id", index=True)
    expires_at: datetime = _when(nullable=False)
    used_at: datetime | None = _when()
    created_at: datetime = _when(default_now=True)


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(default_now=True, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=200, index=True)
    detail: str = Field(default="{}", sa_type=Text)


class AgentSession(SQLModel, table=True):
    __tablename__ = "agent_session"

    id: str = Field(primary_key=True, max_length=64)
    agent_id: int = Field(foreign_key="agent.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _when(default_now=True)
    expires_at: datetime = _when(nullable=False, index=True)


# --- reports (pre-aggregated; rebuilt from the tables above, never the source of truth) ---


class ReportFunnel(SQLModel, table=True):
    """When each debtor first reached each funnel stage (refreshed incrementally)."""

    __tablename__ = "report_funnel"

    debtor_id: int = Field(foreign_key="debtor.id", primary_key=True)
    contacted_at: datetime | None = _when(index=True)
    engaged_at: datetime | None = _when()
    verified_at: datetime | None = _when()
    offered_at: datetime | None = _when()
    agreed_at: datetime | None = _when()
    paid_at: datetime | None = _when()


class ReportDaily(SQLModel, table=True):
    """Messages per local day and channel, for days whose delivery statuses have settled."""

    __tablename__ = "report_daily"

    day: date = Field(primary_key=True)
    channel: str = Field(primary_key=True, max_length=16)
    messages_out: int = Field(default=0, sa_type=BigInteger, nullable=False)
    messages_failed: int = Field(default=0, sa_type=BigInteger, nullable=False)
    messages_in: int = Field(default=0, sa_type=BigInteger, nullable=False)


class ReportWatermark(SQLModel, table=True):
    """How far each report refresh has read its source (last id, or last time)."""

    __tablename__ = "report_watermark"

    name: str = Field(primary_key=True, max_length=32)
    position: int = Field(default=0, sa_type=BigInteger, nullable=False)
    at: datetime | None = _when()


# Period scans for reports (by creation or payment time).
Index(None, metadata.tables["message"].c.created_at)
Index(None, metadata.tables["payment"].c.paid_at)
Index(None, metadata.tables["agreement"].c.created_at)
Index(None, metadata.tables["escalation"].c.created_at)


class CannedResponse(SQLModel, table=True):
    """A ready answer agents insert into the reply box; supervisors keep the list."""

    __tablename__ = "canned_response"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=80, unique=True)
    text: str = _text()
    updated_by: int | None = Field(default=None, foreign_key="agent.id")
    updated_at: datetime = _when(default_now=True)
