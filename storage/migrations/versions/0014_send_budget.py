"""Outbox: a channel's sending rate in a row every process shares.

Each process's outbox paced its channel alone, so two `quita run` processes could send twice
Telegram's ~30 messages/s. Now each delivery round takes its rows' worth of tokens from the
channel's row, under its lock.

Revision ID: 0014_send_budget
Revises: 0013_enum_domains
Create Date: 2026-11-26 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_send_budget"
down_revision: str | None = "0013_enum_domains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "send_budget",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )


def downgrade() -> None:
    op.drop_table("send_budget")
