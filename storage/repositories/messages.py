"""The transcript: every message in and out, deduplicated by the platform's message id.

Delivery statuses arrive out of order (WhatsApp sends `read` before `delivered` at times),
so a status only ever moves forward: pending < sent < delivered < read; `failed` only from
pending or sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, insert, select, update

from storage import tables
from storage.enums import Author, DeliveryStatus, Direction
from storage.repositories.base import Repository
from storage.rows import MessageRow
from storage.types import dump_json, utc_now

t = tables.message

_MAY_PRECEDE: dict[str, tuple[str, ...]] = {
    DeliveryStatus.PENDING: (),
    DeliveryStatus.SENT: (DeliveryStatus.PENDING,),
    DeliveryStatus.DELIVERED: (DeliveryStatus.PENDING, DeliveryStatus.SENT),
    DeliveryStatus.READ: (DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
    DeliveryStatus.FAILED: (DeliveryStatus.PENDING, DeliveryStatus.SENT),
}

_ERROR_MAX = 200  # the column's length

_INSERT = insert(t).returning(t.c.id)
_INSERT_MANY = insert(t).returning(t.c.id, sort_by_parameter_order=True)


def _payload(payload: Mapping[str, Any] | None) -> str | None:
    return None if payload is None else dump_json(dict(payload))


class SqlMessages(Repository):
    __slots__ = ()

    async def add_inbound(
        self,
        conversation_id: int,
        channel: str,
        channel_message_id: str | None,
        text: str,
        *,
        payload: Mapping[str, Any] | None = None,
        author: str = Author.DEBTOR,
        now: datetime | None = None,
    ) -> int | None:
        """Store a received message; None when this (channel, message id) was seen before."""
        stmt = self.insert_or_ignore(t, ("channel", "channel_message_id"), returning=("id",))
        values = {
            "conversation_id": conversation_id,
            "direction": Direction.IN.value,
            "author": str(author),
            "text": text,
            "payload": _payload(payload),
            "channel": channel,
            "channel_message_id": channel_message_id,
            "delivery_status": DeliveryStatus.DELIVERED.value,
            "created_at": now or utc_now(),
        }
        inserted: int | None = (await self.conn.execute(stmt, values)).scalar_one_or_none()
        return inserted

    async def add_outbound(
        self,
        conversation_id: int,
        channel: str,
        text: str,
        payload: Mapping[str, Any] | None = None,
        author: str = Author.BOT,
        *,
        now: datetime | None = None,
    ) -> int:
        """Store a message we are about to send (its platform id comes later, on send)."""
        values = {
            "conversation_id": conversation_id,
            "direction": Direction.OUT.value,
            "author": str(author),
            "text": text,
            "payload": _payload(payload),
            "channel": channel,
            "delivery_status": DeliveryStatus.PENDING.value,
            "created_at": now or utc_now(),
        }
        new_id: int = (await self.conn.execute(_INSERT, values)).scalar_one()
        return new_id

    async def add_outbound_many(
        self,
        conversation_id: int,
        channel: str,
        messages: Sequence[tuple[str, Mapping[str, Any] | None, str]],
        *,
        now: datetime | None = None,
    ) -> list[int]:
        """`add_outbound` for all of an event's replies, `(text, payload, author)` each, in one
        statement; their ids in the same order."""
        if not messages:
            return []
        created_at = now or utc_now()
        values = [
            {
                "conversation_id": conversation_id,
                "direction": Direction.OUT.value,
                "author": str(author),
                "text": text,
                "payload": _payload(payload),
                "channel": channel,
                "delivery_status": DeliveryStatus.PENDING.value,
                "created_at": created_at,
            }
            for text, payload, author in messages
        ]
        return list((await self.conn.execute(_INSERT_MANY, values)).scalars().all())

    async def set_delivery(
        self, channel: str, channel_message_id: str, status: str, error: str | None = None
    ) -> bool:
        """Move a sent message's status forward; False if unknown or it would go backwards.

        `error` (e.g. "whatsapp error 131047") is kept with a `failed` status for the console.
        """
        earlier = _MAY_PRECEDE[DeliveryStatus(status)]
        if not earlier:
            return False
        values: dict[str, str] = {"delivery_status": str(status)}
        if error is not None and status == DeliveryStatus.FAILED:
            values["delivery_error"] = error[:_ERROR_MAX]
        stmt = (
            update(t)
            .where(
                t.c.channel == channel,
                t.c.channel_message_id == channel_message_id,
                t.c.delivery_status.in_(earlier),
            )
            .values(**values)
        )
        result = await self.conn.execute(stmt)
        return bool(result.rowcount)

    async def attach_channel_id(self, message_id: int, channel_message_id: str) -> None:
        """Record the platform's id for an outbound message that was just sent."""
        status = case(
            (t.c.delivery_status == DeliveryStatus.PENDING.value, DeliveryStatus.SENT.value),
            else_=t.c.delivery_status,
        )
        stmt = (
            update(t)
            .where(t.c.id == message_id)
            .values(channel_message_id=channel_message_id, delivery_status=status)
        )
        await self.conn.execute(stmt)

    async def mark_failed(self, message_id: int, error: str | None = None) -> None:
        """The outbox gave up on this message (`error` says why, for the console)."""
        values: dict[str, str] = {"delivery_status": DeliveryStatus.FAILED.value}
        if error is not None:
            values["delivery_error"] = error[:_ERROR_MAX]
        stmt = (
            update(t)
            .where(t.c.id == message_id, t.c.delivery_status.in_(_MAY_PRECEDE["failed"]))
            .values(**values)
        )
        await self.conn.execute(stmt)

    async def get(self, message_id: int) -> MessageRow | None:
        found = (await self.conn.execute(select(t).where(t.c.id == message_id))).mappings().first()
        return None if found is None else MessageRow.from_row(found)

    async def transcript(
        self, conversation_id: int, *, after_id: int = 0, limit: int = 1000
    ) -> list[MessageRow]:
        """Messages of a chat in the order they happened (optionally only those after an id)."""
        stmt = (
            select(t)
            .where(t.c.conversation_id == conversation_id, t.c.id > after_id)
            .order_by(t.c.id)
            .limit(limit)
        )
        return [MessageRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]
