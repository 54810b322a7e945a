"""Outbox: drop the (status, available_at) index, which no hot query needs any more.

Claims and the next-due time read unsent rows through the partial index of migration 0012,
and a claim updates its chosen rows by primary key. Kept, the index cost every reply an
entry on insert and two moves (claimed, then sent): ~10 µs of a reply's ~60 on SQLite.

Revision ID: 0015_outbox_status_index
Revises: 0014_send_budget
Create Date: 2026-11-26 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015_outbox_status_index"
down_revision: str | None = "0014_send_budget"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_outbox_status_available_at"), table_name="outbox")


def downgrade() -> None:
    op.create_index(
        op.f("ix_outbox_status_available_at"), "outbox", ["status", "available_at"], unique=False
    )
