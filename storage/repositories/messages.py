"""The transcript: every message in and out, deduplicated by the platform's message id.

Delivery statuses arrive out of order (WhatsApp sends `read` before `delivered` at times),
so a status only ever moves forward: pending < sent < delivered < read; `failed` only from
pending or sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import case, insert, select, update

from storage import tables
from storage.enums import Author, DeliveryStatus, Direction
from storage.prepared import Prepared, bound
from storage.repositories.base import Repository, insert_or_ignore, with_new_id
from storage.rows import MessageRow, NewInbound
from storage.types import dump_json, utc_now

t = tables.message

_MAY_PRECEDE: dict[str, tuple[str, ...]] = {
    DeliveryStatus.PENDING: (),
    DeliveryStatus.SENT: (DeliveryStatus.PENDING,),
    DeliveryStatus.DELIVERED: (DeliveryStatus.PENDING, DeliveryStatus.SENT),
    DeliveryStatus.READ: (DeliveryStatus.PENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
    DeliveryStatus.FAILED: (DeliveryStatus.PENDING, DeliveryStatus.SENT),
}

ERROR_MAX = 200  # delivery_error's length

# Every column a new message sets (`storage.repositories.replies` writes them too).
NEW_MESSAGE_COLUMNS = (
    "conversation_id",
    "direction",
    "author",
    "text",
    "payload",
    "channel",
    "delivery_status",
    "created_at",
)
# Every event stores its inbound message and its replies: prepared, run on the driver.
_ADD_OUTBOUND = Prepared(
    lambda dialect: with_new_id(dialect, insert(t).values(bound(*NEW_MESSAGE_COLUMNS)))
)
INBOUND_COLUMNS = (*NEW_MESSAGE_COLUMNS, "channel_message_id")
_ADD_INBOUND = Prepared(
    lambda dialect: with_new_id(
        dialect,
        insert_or_ignore(dialect, t, ("channel", "channel_message_id")).values(
            bound(*INBOUND_COLUMNS)
        ),
    )
)


_IN = Direction.IN.value  # (an enum member's `.value` is a Python-level property)
_DELIVERED = DeliveryStatus.DELIVERED.value


def inbound_values(
    row_id: int | None, channel: str, message: NewInbound, payload: str | None = None
) -> dict[str, Any]:
    """The `INBOUND_COLUMNS` of a received message's row in conversation `row_id`."""
    return {
        "conversation_id": row_id,
        "direction": _IN,
        "author": message.author,
        "text": message.text,
        "payload": payload,
        "channel": channel,
        "channel_message_id": message.channel_message_id,
        "delivery_status": _DELIVERED,
        "created_at": message.received_at,
    }


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
        message = NewInbound(channel_message_id, text, str(author), now or utc_now())
        return await self.add_new_inbound(conversation_id, channel, message, _payload(payload))

    async def add_new_inbound(
        self, conversation_id: int, channel: str, message: NewInbound, payload: str | None = None
    ) -> int | None:
        """`add_inbound` of a `NewInbound`."""
        values = inbound_values(conversation_id, channel, message, payload)
        return await self.conn.insert(_ADD_INBOUND, values)

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
        message_id = await self.conn.insert(_ADD_OUTBOUND, values)
        assert message_id is not None  # no conflict clause: inserted or raised
        return message_id

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
            values["delivery_error"] = error[:ERROR_MAX]
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
            values["delivery_error"] = error[:ERROR_MAX]
        stmt = (
            update(t)
            .where(t.c.id == message_id, t.c.delivery_status.in_(_MAY_PRECEDE["failed"]))
            .values(**values)
        )
        await self.conn.execute(stmt)

    async def get(self, message_id: int) -> MessageRow | None:
        found = (await self.conn.execute(select(t).where(t.c.id == message_id))).mappings().first()
        return None if found is None else MessageRow.from_row(found)

    async def by_channel_id(self, channel: str, channel_message_id: str) -> MessageRow | None:
        """The message a platform knows by `channel_message_id` (e.g. a status's wamid)."""
        stmt = select(t).where(t.c.channel == channel, t.c.channel_message_id == channel_message_id)
        found = (await self.conn.execute(stmt)).mappings().first()
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
