"""The bot's replies: each stored in the transcript and queued for delivery, together.

Every event that answers writes a message row and an outbox row per reply (the outbox row
points at the message, and its idempotency key is the message id). On SQLite those are two
in-process statements per reply. On PostgreSQL each statement would be a network round
trip, so one statement writes every reply of the event, messages and deliveries, together
with the conversation's save (`SqlConversations.save(..., replies=...)`).

A reply refused before sending (a frequency cap, an opt-out; see `bot.effects.guards`) is
stored as failed, with the reason, and gets no outbox row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, bindparam, insert, text
from sqlalchemy.dialects import postgresql

from storage import tables
from storage.enums import DeliveryStatus, Direction, OutboxStatus
from storage.prepared import Prepared, bound
from storage.repositories.base import Repository, with_new_id
from storage.repositories.messages import ERROR_MAX, NEW_MESSAGE_COLUMNS, inbound_values
from storage.repositories.outbox import NEW_DELIVERY_COLUMNS
from storage.rows import NewInbound, NewReply
from storage.types import UTCDateTime

message_t = tables.message
outbox_t = tables.outbox

# -- SQLite: message, then its delivery -------------------------------------------------------

_MESSAGE = Prepared(
    lambda dialect: with_new_id(
        dialect, insert(message_t).values(bound(*NEW_MESSAGE_COLUMNS, "delivery_error"))
    )
)
_DELIVERY = Prepared(insert(outbox_t).values(bound(*NEW_DELIVERY_COLUMNS)))

# -- PostgreSQL: every reply in one statement, optionally with the conversation's save ------

_ARRAYS = (
    "direction",
    "author",
    "text",
    "payload",
    "channel_message_id",
    "delivery_status",
    "delivery_error",
    "delivery",
    "created_at",
    "proactive",
)
# The arrays passed as the rows hold them; `reply_arrays` spells the other two as text.
_AS_THEY_ARE = tuple(name for name in _ARRAYS if name not in ("created_at", "proactive"))

# The sequences behind `message.id` and `outbox.id` (PostgreSQL names a serial column's
# sequence `<table>_<column>_seq`). Named here rather than looked up with
# `pg_get_serial_sequence`, which searches the catalog's dependencies on every call: ~2 % of
# the server's CPU per event. A literal name is resolved once, when the statement is planned.
MESSAGE_ID_SEQUENCE = "message_id_seq"
OUTBOX_ID_SEQUENCE = "outbox_id_seq"


def replies_statement(save: Sequence[str] = (), *, verify: bool = False) -> Prepared:
    """All of an event's replies in one statement, given as arrays (one element per message);
    with `save` (conversation columns), also the conversation's save, so the end of a dialog
    step is one round trip. With `save` it returns the conversation's new `version` and
    `updated_at`, or no row when the loaded version was stale; then it stores nothing, so it
    is atomic on its own (the caller raises, and any transaction around it rolls back).

    The arrays may start with the inbound message the step answers (direction `in`, its
    channel message id, no delivery); the message is then stored only with the save, and a
    message id seen before stores nothing (`ON CONFLICT DO NOTHING`).

    Message and outbox ids are drawn row by row, in array order, before either insert: the
    transcript keeps the messages' order, each delivery points at its own message, and a
    chat's deliveries keep its replies' order.

    `verify` (with `save`): the step verified the chat's contact (`ContactVerified`); it is
    linked and verified only if the save succeeds.
    """
    conversation = tables.conversation
    unknown = [name for name in save if name not in conversation.c]
    if unknown:
        raise ValueError(f"not conversation columns: {unknown}")
    # Only column names known above and fixed names go into the SQL text, never values.
    sets = "".join(f", {name} = :{name}" for name in save)
    saved = f"""
saved AS (
  UPDATE conversation SET version = version + 1{sets}
  WHERE id = :k_id AND version = :k_version
  RETURNING version, updated_at
),"""  # noqa: S608
    if verify and not save:
        raise ValueError("a contact is verified only with the conversation's save")
    verified = """
verified AS (
  UPDATE contact SET debtor_id = :v_debtor_id, verified_at = :v_verified_at,
                     failed_attempts = 0, locked_until = NULL
  WHERE id = :v_contact_id AND EXISTS (SELECT 1 FROM saved)
),"""
    arrays = ", ".join(f"CAST(:r_{name} AS TEXT[])" for name in _ARRAYS)
    # With a save, no row of `saved` (a stale version) means no messages either.
    after_save = "saved, " if save else ""
    sql = f"""
WITH {saved if save else ""}{verified if verify else ""}
reply AS MATERIALIZED (
  SELECT nextval('{MESSAGE_ID_SEQUENCE}') AS message_id,
         nextval('{OUTBOX_ID_SEQUENCE}') AS outbox_id, r.*
  FROM {after_save}unnest({arrays}) WITH ORDINALITY AS r({", ".join(_ARRAYS)}, ord)
),
stored AS (
  INSERT INTO message (id, conversation_id, direction, author, text, payload, channel,
                       channel_message_id, delivery_status, delivery_error, created_at)
  SELECT message_id, :conversation_id, direction, author, text, payload, :channel,
         channel_message_id, delivery_status, delivery_error, CAST(created_at AS TIMESTAMPTZ)
  FROM reply
  ON CONFLICT (channel, channel_message_id) DO NOTHING
),
queued AS (
  INSERT INTO outbox (id, conversation_id, message_id, channel, address, payload,
                      idempotency_key, status, attempts, available_at, created_at, proactive)
  SELECT outbox_id, :conversation_id, message_id, :channel, :address, delivery,
         'msg:' || message_id, :status, 0, :created_at, :created_at, CAST(proactive AS BOOLEAN)
  FROM reply
  WHERE delivery IS NOT NULL
)
{"SELECT version, updated_at FROM saved" if save else "SELECT count(*) AS replies FROM reply"}
"""  # noqa: S608
    statement = text(sql).bindparams(
        *(bindparam(f"r_{name}", type_=postgresql.ARRAY(String)) for name in _ARRAYS),
        bindparam("conversation_id", type_=Integer),
        bindparam("channel", type_=String),
        bindparam("address", type_=String),
        bindparam("status", type_=String),
        bindparam("created_at", type_=UTCDateTime()),
        *(bindparam(name, type_=conversation.c[name].type) for name in save),
        *(
            (bindparam("k_id", type_=Integer), bindparam("k_version", type_=Integer))
            if save
            else ()
        ),
        *(
            (
                bindparam("v_contact_id", type_=Integer),
                bindparam("v_debtor_id", type_=Integer),
                bindparam("v_verified_at", type_=UTCDateTime()),
            )
            if verify
            else ()
        ),
    )
    if save:
        return Prepared(statement.columns(version=Integer, updated_at=UTCDateTime()))
    return Prepared(statement.columns(replies=Integer))


_REPLIES = replies_statement()


def reply_arrays(
    conversation_id: int,
    channel: str,
    address: str,
    replies: Sequence[NewReply],
    now: datetime,
    inbound: NewInbound | None = None,
) -> dict[str, Any]:
    """The parameters of `replies_statement` for `replies`, after `inbound` if given."""
    rows = [_values(conversation_id, channel, address, reply, now) for reply in replies]
    if inbound is not None:
        inbound_row = inbound_values(conversation_id, channel, inbound)
        rows.insert(
            0, {**inbound_row, "delivery_error": None, "delivery": None, "proactive": False}
        )
    arrays = {f"r_{name}": [row[name] for row in rows] for name in _AS_THEY_ARE}
    arrays["r_created_at"] = [row["created_at"].isoformat() for row in rows]  # TEXT[] too
    arrays["r_proactive"] = ["true" if row["proactive"] else "false" for row in rows]
    return {
        **arrays,
        "conversation_id": conversation_id,
        "channel": channel,
        "address": address,
        "status": OutboxStatus.PENDING.value,
        "created_at": now,
    }


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
        if self.is_postgres:
            if replies:
                params = reply_arrays(conversation_id, channel, address, replies, now)
                await self.conn.fetch(_REPLIES, params)
        else:
            for row in (_values(conversation_id, channel, address, r, now) for r in replies):
                message_id = await self.conn.insert(_MESSAGE, row)
                if row["delivery"] is not None:
                    delivery = {**row, "message_id": message_id}
                    delivery["idempotency_key"] = f"msg:{message_id}"
                    await self.conn.run(_DELIVERY, delivery)
        return sum(1 for reply in replies if reply.refused is None)


# Every reply's row spells these; an enum member's `.value` is a Python-level property.
_OUT = Direction.OUT.value
_PENDING = DeliveryStatus.PENDING.value
_REFUSED = DeliveryStatus.FAILED.value
_QUEUED = OutboxStatus.PENDING.value


def _values(
    conversation_id: int, channel: str, address: str, reply: NewReply, now: datetime
) -> dict[str, Any]:
    refused = reply.refused
    return {
        "conversation_id": conversation_id,
        "direction": _OUT,
        "author": reply.author,
        "text": reply.text,
        "payload": reply.payload,
        "channel": channel,
        "delivery_status": _PENDING if refused is None else _REFUSED,
        "delivery_error": None if refused is None else refused[:ERROR_MAX],
        "channel_message_id": None,
        "created_at": now,
        "address": address,
        "delivery": reply.payload if refused is None else None,  # what the outbox sends
        "status": _QUEUED,
        "attempts": 0,
        "available_at": now,
        "proactive": reply.proactive,
    }
