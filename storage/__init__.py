"""Quita's storage: SQLModel tables, async repositories and Alembic migrations.

`Database(url).transaction()` yields a unit of work whose repositories share one
transaction; SQLite (embedded default) and PostgreSQL (production) behave the same.
"""

from __future__ import annotations

from storage.database import Database, UnitOfWork
from storage.engine import create_engine, dialect_of
from storage.group_commit import GroupRolledBackError
from storage.migrate import upgrade
from storage.rows import (
    AgreementRow,
    ContactRow,
    ConversationRow,
    DebtorRow,
    DebtRow,
    InstallmentRow,
    MessageRow,
    NewInstallment,
    NewJob,
    NewOutbox,
    NewReply,
    OutboxRow,
)

__all__ = [
    "AgreementRow",
    "ContactRow",
    "ConversationRow",
    "Database",
    "DebtRow",
    "DebtorRow",
    "GroupRolledBackError",
    "InstallmentRow",
    "MessageRow",
    "NewInstallment",
    "NewJob",
    "NewOutbox",
    "NewReply",
    "OutboxRow",
    "UnitOfWork",
    "create_engine",
    "dialect_of",
    "upgrade",
]
