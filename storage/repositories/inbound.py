"""The durable inbox: raw updates are written here before the webhook answers 200.

A crash between "received" and "handled" then loses nothing: `pending` lists what still
needs handling, and a redelivered update is recognised by (channel, external id).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from storage import tables
from storage.prepared import Prepared, bound
from storage.repositories.base import Repository, insert_or_ignore
from storage.rows import InboundRow
from storage.types import utc_now

t = tables.inbound

# Webhooks record every update before answering: prepared, run straight on the driver.
_RECORD = Prepared(
    lambda dialect: insert_or_ignore(dialect, t, ("channel", "external_id"), ("id",)).values(
        bound("channel", "external_id", "payload", "received_at")
    )
)


class SqlInbound(Repository):
    __slots__ = ()

    async def record(
        self, channel: str, external_id: str, payload: str, *, now: datetime | None = None
    ) -> int | None:
        """Keep the raw update (JSON text); None if this (channel, external id) is a repeat."""
        values = {
            "channel": channel,
            "external_id": external_id,
            "payload": payload,
            "received_at": now or utc_now(),
        }
        inserted = await self.conn.fetch(_RECORD, values)
        return int(inserted[0]["id"]) if inserted else None

    async def pending(self, limit: int = 100) -> list[InboundRow]:
        """Updates recorded but not yet handled, oldest first."""
        stmt = select(t).where(t.c.processed_at.is_(None)).order_by(t.c.id).limit(limit)
        return [InboundRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]

    async def mark_processed(
        self, inbound_id: int, *, error: str | None = None, now: datetime | None = None
    ) -> None:
        """Handled (or given up on, with `error`, which must not contain personal data)."""
        stmt = (
            update(t).where(t.c.id == inbound_id).values(processed_at=now or utc_now(), error=error)
        )
        await self.conn.execute(stmt)
