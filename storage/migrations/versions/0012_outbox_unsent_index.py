"""Outbox: a partial index of unsent rows by chat, so claiming skips the sent history.

The claim groups unsent rows by conversation to find each chat's oldest row; over this index
that reads the backlog only, however many rows were sent before.

Revision ID: 0012_outbox_unsent
Revises: 0011_whatsapp
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_outbox_unsent"
down_revision: str | None = "0011_whatsapp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSENT = "status IN ('pending', 'sending')"


def upgrade() -> None:
    op.create_index(
        op.f("ix_outbox_channel_conversation_id_id"),
        "outbox",
        ["channel", "conversation_id", "id"],
        unique=False,
        sqlite_where=sa.text(UNSENT),
        postgresql_where=sa.text(UNSENT),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_channel_conversation_id_id"), table_name="outbox")
