"""PostgreSQL: each enum column's allowed values move from a CHECK constraint to a domain.

Why: PostgreSQL re-reads a table's CHECK constraints from their stored text and plans them
again for every INSERT or UPDATE statement on the table. An event's two statements touch
three tables with six such checks between them, and that was ~9 % of the server's CPU
samples. A domain's check is read once per connection and kept, so the same rule costs a
fraction: the service path measured 0.05–0.10 ms less server CPU per event at 1,000 events/s
(docs/performance.md, tenth round).

The rule is unchanged: a column of domain `<table>_<column>` refuses any value not listed,
like the CHECK did. SQLite keeps its CHECK constraints (spelled out by migration 0016).
A later migration that adds a value alters the domain on PostgreSQL
(`ALTER DOMAIN ... DROP CONSTRAINT / ADD CONSTRAINT`) and the CHECK on SQLite.

Changing a column's type holds its table's exclusive lock while every row is checked against
the domain: on a database with tens of millions of messages, run the upgrade in a quiet hour.

Revision ID: 0013_enum_domains
Revises: 0012_outbox_unsent
Create Date: 2026-11-26 09:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013_enum_domains"
down_revision: str | None = "0012_outbox_unsent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNELS = ("telegram", "whatsapp", "webchat")

# (table, column, varchar length, allowed values), as the CHECK constraints had them.
ONE_OF: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("agent", "role", 16, ("agent", "supervisor", "admin")),
    ("contact", "channel", 16, CHANNELS),
    ("debt", "status", 16, ("open", "negotiating", "agreement", "paid", "disputed")),
    ("conversation", "channel", 16, CHANNELS),
    ("conversation", "mode", 16, ("bot", "queued", "agent", "closed")),
    ("agreement", "status", 16, ("active", "completed", "broken", "cancelled")),
    ("escalation", "status", 16, ("open", "claimed", "closed")),
    ("message", "direction", 3, ("in", "out")),
    ("message", "author", 8, ("bot", "debtor", "agent", "system")),
    ("message", "delivery_status", 16, ("pending", "sent", "delivered", "read", "failed")),
    ("scheduled_job", "status", 16, ("pending", "running", "done", "cancelled", "dropped")),
    ("installment", "status", 16, ("pending", "paid", "late", "cancelled")),
    ("outbox", "status", 16, ("pending", "sending", "sent", "failed")),
    ("payment", "source", 16, ("webhook", "reconciliation", "agent")),
)


def _allowed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length, values in ONE_OF:
        domain = f"{table}_{column}"
        op.execute(
            f"CREATE DOMAIN {domain} AS VARCHAR({length}) "
            f"CONSTRAINT {domain}_allowed CHECK (VALUE IN ({_allowed(values)}))"
        )
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT ck_{table}_{column}, "
            f"ALTER COLUMN {column} TYPE {domain}"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length, values in ONE_OF:
        domain = f"{table}_{column}"
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR({length}), "
            f"ADD CONSTRAINT ck_{table}_{column} CHECK ({column} IN ({_allowed(values)}))"
        )
        op.execute(f"DROP DOMAIN {domain}")
