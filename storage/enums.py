"""The closed vocabularies stored in status columns.

They are `StrEnum`s so callers may pass either the member or its plain string, and the
database keeps readable text (with CHECK constraints built from these same values).
"""

from __future__ import annotations

import enum


class DebtStatus(enum.StrEnum):
    OPEN = "open"
    NEGOTIATING = "negotiating"
    AGREEMENT = "agreement"
    PAID = "paid"
    DISPUTED = "disputed"


class ConversationMode(enum.StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"
    CLOSED = "closed"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class Author(enum.StrEnum):
    BOT = "bot"
    DEBTOR = "debtor"
    AGENT = "agent"
    SYSTEM = "system"


class DeliveryStatus(enum.StrEnum):
    """Ordered: a message only moves forward (pending < sent < delivered < read)."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    # Leased, in rows claimed before migration 0018; leased rows now stay `pending`.
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class AgreementStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class InstallmentStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    LATE = "late"
    CANCELLED = "cancelled"


class PaymentSource(enum.StrEnum):
    WEBHOOK = "webhook"
    RECONCILIATION = "reconciliation"
    AGENT = "agent"


class EscalationStatus(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"


class AgentRole(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    DROPPED = "dropped"


class InviteOutcome(enum.StrEnum):
    OK = "ok"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"
