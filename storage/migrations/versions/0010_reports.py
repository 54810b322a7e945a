"""Reports: pre-aggregated funnel and daily message tables, indexes for period scans.

Revision ID: 0010_reports
Revises: 0002_console
Create Date: 2026-11-25 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_reports"
down_revision: str | None = "0002_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "report_funnel",
        sa.Column("debtor_id", sa.Integer(), nullable=False),
        _when("contacted_at"),
        _when("engaged_at"),
        _when("verified_at"),
        _when("offered_at"),
        _when("agreed_at"),
        _when("paid_at"),
        sa.ForeignKeyConstraint(
            ["debtor_id"], ["debtor.id"], name=op.f("fk_report_funnel_debtor_id_debtor")
        ),
        sa.PrimaryKeyConstraint("debtor_id", name=op.f("pk_report_funnel")),
    )
    op.create_index(
        op.f("ix_report_funnel_contacted_at"), "report_funnel", ["contacted_at"], unique=False
    )
    op.create_table(
        "report_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("messages_out", sa.BigInteger(), nullable=False),
        sa.Column("messages_failed", sa.BigInteger(), nullable=False),
        sa.Column("messages_in", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "channel", name=op.f("pk_report_daily")),
    )
    op.create_table(
        "report_watermark",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        _when("at"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_report_watermark")),
    )
    op.create_index(op.f("ix_message_created_at"), "message", ["created_at"], unique=False)
    op.create_index(op.f("ix_payment_paid_at"), "payment", ["paid_at"], unique=False)
    op.create_index(op.f("ix_agreement_created_at"), "agreement", ["created_at"], unique=False)
    op.create_index(op.f("ix_escalation_created_at"), "escalation", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_escalation_created_at"), table_name="escalation")
    op.drop_index(op.f("ix_agreement_created_at"), table_name="agreement")
    op.drop_index(op.f("ix_payment_paid_at"), table_name="payment")
    op.drop_index(op.f("ix_message_created_at"), table_name="message")
    op.drop_table("report_watermark")
    op.drop_table("report_daily")
    op.drop_index(op.f("ix_report_funnel_contacted_at"), table_name="report_funnel")
    op.drop_table("report_funnel")
