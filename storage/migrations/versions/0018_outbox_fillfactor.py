"""Outbox: leave room in each page for the claim of the rows it holds (PostgreSQL).

Every reply's outbox row is updated twice: claimed (its lease) and marked sent. The claim
now changes only columns no index holds (`claimed_until`, `attempts`; a leased row stays
`pending`), so PostgreSQL can write it in place, a HOT update with no new index entries, but
only when the row's page has room for the new version. Pages filled to 100 % by inserts
had none: no claim was HOT. Filled to half, nearly every claim is (4,373 of 4,500 in a
probe), and the WAL written per delivered reply fell from ~1,760 to ~1,140–1,260 bytes.

Only pages filled from now on leave the room; existing rows are not rewritten. SQLite has no
fill factor: its claims skip the index of unsent rows because `status` no longer changes.

Revision ID: 0018_outbox_fillfactor
Revises: 0017_outbox_proactive
Create Date: 2026-11-27 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0018_outbox_fillfactor"
down_revision: str | None = "0017_outbox_proactive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As `storage.models.OUTBOX_FILLFACTOR` says today; a migration keeps its own copy.
FILLFACTOR = 50


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE outbox SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE outbox RESET (fillfactor)")
