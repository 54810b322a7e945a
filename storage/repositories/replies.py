"""The bot's replies: each stored in the transcript and queued for delivery, together.

Every event that answers writes a message row and an outbox row per reply (the outbox row
points at the message, and its idempotency key is the message id). On SQLite those are two
in-process statements per reply. On PostgreSQL each statement would be a network round
trip, so one statement writes both rows (the message, then its delivery from the message's
RETURNING), and all of an event's replies go in one pipelined `executemany`.

A reply refused before sending (a frequency cap, an opt-out; see `bot.effects.guards`) is
stored as failed, with the reason, and gets no outbox row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, insert, text

from storage import tables
from storage.enums import DeliveryStatus, Direction, OutboxStatus
from storage.prepared import Prepared, bound
from storage.repositories.base import Repository
from storage.repositories.messages import ERROR_MAX, NEW_MESSAGE_COLUMNS
from storage.repositories.outbox import NEW_DELIVERY_COLUMNS
from storage.rows import NewReply
from storage.types import UTCDateTime

message_t = tables.message
outbox_t = tables.outbox

# -- SQLite: message, then its delivery -------------------------------------------------------

_MESSAGE = Prepared(
    insert(message_t)
    .values(bound(*NEW_MESSAGE_COLUMNS, "delivery_error"))
    .returning(message_t.c.id)
)
_DELIVERY = Prepared(insert(outbox_t).values(bound(*NEW_DELIVERY_COLUMNS)))

# -- PostgreSQL: both in one statement --------------------------------------------------------

_MESSAGE_AND_DELIVERY = Prepared(
    text(
        """
WITH m AS (
  INSERT INTO message (conversation_id, direction, author, text, payload, channel,
                       delivery_status, delivery_error, created_at)
  VALUES (:conversation_id, :direction, :author, :text, :payload, :channel,
          :delivery_status, :delivery_error, :created_at)
  RETURNING id
)
INSERT INTO outbox (conversation_id, message_id, channel, address, payload, idempotency_key,
                    status, attempts, available_at, created_at)
SELECT :conversation_id, m.id, :channel, :address, CAST(:delivery AS TEXT), 'msg:' || m.id,
       :status, 0, :created_at, :created_at
FROM m
WHERE CAST(:delivery AS TEXT) IS NOT NULL
"""
    ).bindparams(
        bindparam("conversation_id", type_=Integer),
        bindparam("direction", type_=String),
        bindparam("author", type_=String),
        bindparam("text", type_=String),
        bindparam("payload", type_=String),
        bindparam("channel", type_=String),
        bindparam("delivery_status", type_=String),
        bindparam("delivery_error", type_=String),
        bindparam("created_at", type_=UTCDateTime()),
        bindparam("address", type_=String),
        bindparam("delivery", type_=String),
        bindparam("status", type_=String),
    )
)


class SqlReplies(Repository):
    __slots__ = ()

    async def add(
        self,
        conversation_id: int,
        channel: str,
        address: str,
        replies: Sequence[NewReply],
        *,
        now: datetime,
    ) -> int:
        """Store `replies` in order and queue the ones not refused; how many were queued."""
        rows = [_values(conversation_id, channel, address, reply, now) for reply in replies]
        if self.is_postgres:
            if rows:
                await self.conn.run_many(_MESSAGE_AND_DELIVERY, rows)
        else:
            for row in rows:
                message_id = int((await self.conn.fetch(_MESSAGE, row))[0]["id"])
                if row["delivery"] is not None:
                    delivery = {**row, "message_id": message_id}
                    delivery["idempotency_key"] = f"msg:{message_id}"
                    await self.conn.run(_DELIVERY, delivery)
        return sum(1 for reply in replies if reply.refused is None)


def _values(
    conversation_id: int, channel: str, address: str, reply: NewReply, now: datetime
) -> dict[str, Any]:
    refused = reply.refused
    return {
        "conversation_id": conversation_id,
        "direction": Direction.OUT.value,
        "author": reply.author,
        "text": reply.text,
        "payload": reply.payload,
        "channel": channel,
        "delivery_status": (
            DeliveryStatus.PENDING if refused is None else DeliveryStatus.FAILED
        ).value,
        "delivery_error": None if refused is None else refused[:ERROR_MAX],
        "created_at": now,
        "address": address,
        "delivery": reply.payload if refused is None else None,  # what the outbox sends
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "available_at": now,
    }
