"""The transactional outbox: outbound deliveries written in the same commit as the state.

`claim` hands a worker only the oldest unsent row of each conversation, so messages in one
chat go out in order even with many workers; a lease (`claimed_until`) lets another worker
retry a row whose worker died. On PostgreSQL, `FOR UPDATE SKIP LOCKED` keeps concurrent
claimers off each other's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, or_, select, update

from storage import tables
from storage.enums import DeliveryStatus, OutboxStatus
from storage.repositories.base import Repository
from storage.repositories.messages import SqlMessages
from storage.rows import NewOutbox, OutboxRow
from storage.types import utc_now

t = tables.outbox
message_t = tables.message
UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


# Built once: marking sent is per delivered message, the hottest write of the worker.
_MARK_SENT = (
    update(t)
    .where(t.c.id == bindparam("k_id"))
    .values(
        status=OutboxStatus.SENT.value,
        channel_message_id=bindparam("k_cmid"),
        sent_at=bindparam("k_at"),
        claimed_until=None,
    )
)
_ATTACH_CHANNEL_ID = (
    update(message_t)
    .where(message_t.c.id == bindparam("k_id"))
    .values(
        channel_message_id=bindparam("k_cmid"),
        delivery_status=case(
            (
                message_t.c.delivery_status == DeliveryStatus.PENDING.value,
                DeliveryStatus.SENT.value,
            ),
            else_=message_t.c.delivery_status,
        ),
    )
)


class SqlOutbox(Repository):
    __slots__ = ()

    async def enqueue(self, rows: Sequence[NewOutbox], *, now: datetime | None = None) -> list[int]:
        """Queue deliveries; rows whose idempotency key already exists are skipped.

        Returns the ids of the rows actually queued.
        """
        if not rows:
            return []
        now = now or utc_now()
        values = [
            {
                "conversation_id": row.conversation_id,
                "message_id": row.message_id,
                "channel": row.channel,
                "address": row.address,
                "payload": row.payload,
                "idempotency_key": row.idempotency_key,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "available_at": row.available_at or now,
                "created_at": now,
            }
            for row in rows
        ]
        stmt = self.insert_or_ignore(t, ("idempotency_key",), returning=("id",))
        return sorted((await self.conn.execute(stmt, values)).scalars().all())

    async def claim(self, batch: int, lease_seconds: float, now: datetime) -> list[OutboxRow]:
        """Lease up to `batch` due rows, each the oldest unsent row of its conversation."""
        candidate = t.alias("candidate")
        earlier = t.alias("earlier")
        head_of_chat = (
            select(func.min(earlier.c.id))
            .where(
                earlier.c.conversation_id == candidate.c.conversation_id,
                earlier.c.status.in_(UNSENT),
            )
            .scalar_subquery()
        )
        due = (
            select(candidate.c.id)
            .where(
                candidate.c.status.in_(UNSENT),
                candidate.c.available_at <= now,
                or_(candidate.c.claimed_until.is_(None), candidate.c.claimed_until <= now),
                candidate.c.id == head_of_chat,
            )
            .order_by(candidate.c.id)
            .limit(batch)
        )
        if self.is_postgres:
            due = due.with_for_update(skip_locked=True, of=candidate)
        stmt = (
            update(t)
            .where(t.c.id.in_(due))
            .values(
                status=OutboxStatus.SENDING.value,
                claimed_until=now + timedelta(seconds=lease_seconds),
                attempts=t.c.attempts + 1,
            )
            .returning(*t.c)
        )
        claimed = [OutboxRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]
        return sorted(claimed, key=lambda row: row.id)

    async def mark_sent(self, outbox_id: int, channel_message_id: str, now: datetime) -> None:
        """Delivered to the platform; the stored message learns its platform id."""
        stmt = (
            update(t)
            .where(t.c.id == outbox_id)
            .values(
                status=OutboxStatus.SENT.value,
                channel_message_id=channel_message_id,
                sent_at=now,
                claimed_until=None,
            )
            .returning(t.c.message_id)
        )
        message_id = (await self.conn.execute(stmt)).scalar_one_or_none()
        if message_id is not None:
            await SqlMessages(self.conn, self.dialect).attach_channel_id(
                message_id, channel_message_id
            )

    async def mark_sent_many(self, sent: Sequence[tuple[OutboxRow, str]], now: datetime) -> None:
        """`mark_sent` for a whole round in two executemany statements instead of two per row."""
        if not sent:
            return
        await self.conn.execute(
            _MARK_SENT,
            [{"k_id": row.id, "k_cmid": cmid, "k_at": now} for row, cmid in sent],
        )
        messages = [
            {"k_id": row.message_id, "k_cmid": cmid}
            for row, cmid in sent
            if row.message_id is not None
        ]
        if messages:
            await self.conn.execute(_ATTACH_CHANNEL_ID, messages)

    async def mark_retry(self, outbox_id: int, error: str, available_at: datetime) -> None:
        """Try again at `available_at`; later rows of the chat wait behind this one."""
        stmt = (
            update(t)
            .where(t.c.id == outbox_id)
            .values(
                status=OutboxStatus.PENDING.value,
                last_error=error,
                available_at=available_at,
                claimed_until=None,
            )
        )
        await self.conn.execute(stmt)

    async def mark_failed(self, outbox_id: int, error: str) -> None:
        """Give up for good; the chat's next row becomes claimable."""
        stmt = (
            update(t)
            .where(t.c.id == outbox_id)
            .values(status=OutboxStatus.FAILED.value, last_error=error, claimed_until=None)
            .returning(t.c.message_id)
        )
        message_id = (await self.conn.execute(stmt)).scalar_one_or_none()
        if message_id is not None:
            await SqlMessages(self.conn, self.dialect).mark_failed(message_id, error)

    async def get(self, outbox_id: int) -> OutboxRow | None:
        found = (await self.conn.execute(select(t).where(t.c.id == outbox_id))).mappings().first()
        return None if found is None else OutboxRow.from_row(found)

    async def pending_count(self) -> int:
        """Rows not yet sent or failed (for health and metrics)."""
        stmt = select(func.count()).select_from(t).where(t.c.status.in_(UNSENT))
        count: int = (await self.conn.execute(stmt)).scalar_one()
        return count

    async def next_due_at(self) -> datetime | None:
        """When the earliest unsent row becomes due (lets a worker sleep until then)."""
        stmt = select(func.min(t.c.available_at)).where(t.c.status.in_(UNSENT))
        due: datetime | None = (await self.conn.execute(stmt)).scalar_one_or_none()
        return due
