"""Outbox: mark proactive rows, and index only those by chat.

The cadence's limits count the proactive messages a debtor got in a day or a week. That read
went through an index of every outbox row by (conversation, id), and filtered the payload's
JSON. Every reply paid for that index: an entry in a random place of a large index (its
chat's), one more page for its group's COMMIT to write. Real chats arrive interleaved, so
those pages are rarely shared. Now a `proactive` column says what the payload's flag said,
and a partial index holds only proactive rows (a few per debtor a week). Replies no longer
write to it.

Only proactive rows are rewritten by the backfill. The column's default is false, so adding
it rewrites no row on either database.

Revision ID: 0017_outbox_proactive
Revises: 0016_sqlite_checks
Create Date: 2026-11-27 13:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_outbox_proactive"
down_revision: str | None = "0016_sqlite_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROACTIVE = "proactive"
# How `bot.outbound_codec.dump` writes the flag into the payload: the backfill's only source.
PROACTIVE_MARK = '%"proactive":true%'


def upgrade() -> None:
    op.add_column(
        "outbox",
        sa.Column("proactive", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        sa.text("UPDATE outbox SET proactive = :yes WHERE payload LIKE :mark").bindparams(
            yes=True, mark=PROACTIVE_MARK
        )
    )
    op.create_index(
        op.f("ix_outbox_conversation_id_created_at"),
        "outbox",
        ["conversation_id", "created_at"],
        unique=False,
        sqlite_where=sa.text(PROACTIVE),
        postgresql_where=sa.text(PROACTIVE),
    )
    op.drop_index(op.f("ix_outbox_conversation_id_id"), table_name="outbox")


def downgrade() -> None:
    op.create_index(
        op.f("ix_outbox_conversation_id_id"), "outbox", ["conversation_id", "id"], unique=False
    )
    op.drop_index(op.f("ix_outbox_conversation_id_created_at"), table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("proactive")
