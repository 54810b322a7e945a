"""Conversations: one row per chat, changed only by the service under a lock.

`save` is optimistic: it bumps `version` and refuses to overwrite a newer row, so a lost
lock can never silently undo another writer's step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Select, String, bindparam, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.selectable import TextualSelect

from dialogs.frozen import evolve
from storage import tables
from storage.enums import ConversationMode
from storage.prepared import Prepared, bound
from storage.repositories.base import Repository, insert_or_ignore
from storage.repositories.contacts import SqlContacts
from storage.repositories.debtor_snapshot import (
    SNAPSHOT_BINDS,
    read_snapshot,
    snapshot_from_json,
    snapshot_select,
    snapshot_sql,
)
from storage.repositories.messages import INBOUND_COLUMNS, SqlMessages, inbound_values
from storage.repositories.replies import SqlReplies, replies_statement, reply_arrays
from storage.rows import ContactVerified, ConversationRow, LockedChat, NewInbound, NewReply
from storage.types import dump_json, utc_now

if TYPE_CHECKING:  # dialogs.flow's package import loads the whole dialog machine
    from dialogs.flow.snapshots import DebtorSnapshot

t = tables.conversation
message_t = tables.message

# Every event loads and saves its conversation: prepared, run straight on the driver.
_BY_KEY_SELECT = select(t).where(
    t.c.channel == bindparam("k_channel"), t.c.address == bindparam("k_address")
)
_BY_KEY = Prepared(_BY_KEY_SELECT)
_BY_KEY_FOR_UPDATE = Prepared(_BY_KEY_SELECT.with_for_update())
_BY_ID = Prepared(select(t).where(t.c.id == bindparam("k_id")))
_CREATE = Prepared(
    lambda dialect: insert_or_ignore(dialect, t, ("channel", "address"), tuple(t.c.keys())).values(
        bound(
            "channel",
            "address",
            "state",
            "context",
            "mode",
            "contact_id",
            "debtor_id",
            "version",
            "created_at",
            "updated_at",
        )
    )
)


def _lock_recording_statement(dialect: str) -> Select[Any]:
    """PostgreSQL: lock the chat's row, store its inbound message and read its debtor's
    snapshot, one round trip. The message is not stored when there is no row, and a seen
    message id stores nothing.

    The snapshot is read as of the statement's start. If the lock had to wait for another
    writer of this chat, that writer's changes are missing from it: `seen_version` (the
    row's version as of the start) then differs from the locked row's, and the caller reads
    the snapshot again.
    """
    locked = _BY_KEY_SELECT.with_for_update().cte("locked")
    message = postgresql.insert(message_t).from_select(
        INBOUND_COLUMNS,
        select(
            locked.c.id,
            *(bindparam(f"m_{name}", type_=message_t.c[name].type) for name in INBOUND_COLUMNS[1:]),
        ),
    )
    stored = (
        message.on_conflict_do_nothing(index_elements=["channel", "channel_message_id"])
        .returning(message_t.c.id)
        .cte("stored")
    )
    seen = t.alias("seen")
    # A scalar subquery, not a join: run once for the one locked row, whatever the planner
    # thinks of the tables' sizes (a join planned on stale statistics built every debtor's).
    snapshot = snapshot_select(dialect, "locked.debtor_id").scalar_subquery()
    return select(
        locked,
        select(stored.c.id).scalar_subquery().label("inbound_id"),
        select(seen.c.version)
        .where(seen.c.id == locked.c.id)
        .scalar_subquery()
        .label("seen_version"),
        snapshot.label("snapshot"),
    )


_LOCK_RECORDING = Prepared(_lock_recording_statement)


def _read_unlocked_statement(dialect: str) -> Select[Any]:
    """PostgreSQL, outside a transaction: the chat's row, whether its inbound message was
    seen, and its debtor's snapshot. Nothing is locked or stored (see `read_unlocked`)."""
    seen = (
        select(message_t.c.id)
        .where(
            message_t.c.channel == bindparam("k_channel"),
            message_t.c.channel_message_id == bindparam("m_channel_message_id"),
        )
        .exists()
    )
    snapshot = snapshot_select(dialect, "conversation.debtor_id").scalar_subquery()
    return _BY_KEY_SELECT.add_columns(seen.label("seen"), snapshot.label("snapshot"))


_READ_UNLOCKED = Prepared(_read_unlocked_statement)
_CHAT_COLUMNS = ", ".join(t.c.keys())
# A new chat's contact: the one found, else the one this statement inserts. A WhatsApp chat
# comes with its phone number (`:phones`, its spellings): a contact not yet linked to a
# debtor is linked to the debtor with that phone (verification still applies).
_NEW_CONTACT = """
phone_debtor AS (
  SELECT id FROM debtor WHERE phone = ANY(:phones) AND erased_at IS NULL ORDER BY id LIMIT 1
),
new_contact AS (
  INSERT INTO contact (channel, address, locale, failed_attempts, created_at, debtor_id)
  VALUES (:k_channel, :k_address, :locale, 0, :now, (SELECT id FROM phone_debtor))
  ON CONFLICT (channel, address) DO NOTHING
  RETURNING id, debtor_id
),
old_contact AS (
  SELECT id, debtor_id FROM contact WHERE channel = :k_channel AND address = :k_address
),
linked_contact AS (
  UPDATE contact SET debtor_id = phone_debtor.id
  FROM old_contact, phone_debtor
  WHERE contact.id = old_contact.id AND old_contact.debtor_id IS NULL
  RETURNING contact.id, contact.debtor_id
),
chat_contact AS (
  SELECT id, debtor_id FROM new_contact
  UNION ALL
  SELECT id, debtor_id FROM linked_contact
  UNION ALL
  SELECT id, debtor_id FROM old_contact WHERE NOT EXISTS (SELECT 1 FROM linked_contact)
  LIMIT 1
),"""
# Then the chat: the one found, else the one inserted with that contact (and its debtor).
_NEW_CHAT = f"""
new_chat AS (
  INSERT INTO conversation (channel, address, state, context, mode, contact_id, debtor_id,
                            version, created_at, updated_at)
  SELECT :k_channel, :k_address, :state, :context, :mode, id, debtor_id, 0, :now, :now
  FROM chat_contact
  ON CONFLICT (channel, address) DO NOTHING
  RETURNING {_CHAT_COLUMNS}
),
chat AS (
  SELECT {_CHAT_COLUMNS} FROM new_chat
  UNION ALL
  SELECT {_CHAT_COLUMNS} FROM conversation WHERE channel = :k_channel AND address = :k_address
  LIMIT 1
)"""  # noqa: S608 - column names of ours, never values


def _create_unlocked_statement(dialect: str) -> TextualSelect:
    """PostgreSQL, on its own: create a chat and its contact, each unless it exists, and read
    it as `_read_unlocked_statement` does. No row when a creator in another transaction
    committed either row after this statement began (its snapshot cannot see that row):
    the statement run again finds it."""
    seen = (
        "EXISTS (SELECT 1 FROM message"
        " WHERE channel = :k_channel AND channel_message_id = :m_channel_message_id)"
    )
    sql = f"""WITH {_NEW_CONTACT}{_NEW_CHAT}
SELECT chat.*, {seen} AS seen, ({snapshot_sql(dialect, "chat.debtor_id")}) AS snapshot
FROM chat"""  # noqa: S608 - fixed SQL of ours, never values
    return (
        text(sql)
        .bindparams(
            bindparam("m_channel_message_id", type_=message_t.c.channel_message_id.type),
            bindparam("locale", type_=tables.contact.c.locale.type),
            bindparam("phones", type_=postgresql.ARRAY(String)),
            bindparam("now", type_=t.c.created_at.type),
            *SNAPSHOT_BINDS,
        )
        .columns(*t.c, seen=Boolean, snapshot=String)
    )


_CREATE_UNLOCKED = Prepared(_create_unlocked_statement)
# A creator elsewhere may commit between the runs too; three such races in a row would be
# a bug, not bad luck.
_CREATE_ATTEMPTS = 3
# SQLite: the chat's row and its debtor's snapshot (the write transaction is the lock).
_BY_KEY_WITH_SNAPSHOT = Prepared(
    lambda dialect: _BY_KEY_SELECT.add_columns(
        snapshot_select(dialect, "conversation.debtor_id").scalar_subquery().label("snapshot")
    )
)
# What a dialog step changes, and what changes only when a chat is linked or handed over.
# SQLite rewrites an index entry for every column an UPDATE sets, changed or not, and
# `mode` and `debtor_id` are indexed: a step that leaves them alone does not set them.
_STEP_COLUMNS = ("state", "context", "last_inbound_at", "updated_at")
_LINK_COLUMNS = ("mode", "contact_id", "debtor_id", "assigned_agent_id")


def _save_statement(*columns: str) -> Prepared:
    # Without RETURNING: the new version and `updated_at` are known (RETURNING would cost
    # SQLite ~12 µs an event), and a stale version matches no row.
    return Prepared(
        update(t)
        .where(t.c.id == bindparam("k_id"), t.c.version == bindparam("k_version"))
        .values(version=t.c.version + 1, **bound(*columns))
    )


_TOUCH = Prepared(update(t).where(t.c.id == bindparam("k_id")).values(version=t.c.version + 1))
_SAVE = _save_statement(*_STEP_COLUMNS, *_LINK_COLUMNS)
_SAVE_STEP = _save_statement(*_STEP_COLUMNS)
# PostgreSQL: the save and the step's replies in one statement (one round trip).
_SAVE_REPLYING = replies_statement(save=(*_STEP_COLUMNS, *_LINK_COLUMNS))
_SAVE_STEP_REPLYING = replies_statement(save=_STEP_COLUMNS)
# A step that verified the contact: it links the chat too, so every column is written.
_SAVE_VERIFYING_REPLYING = replies_statement(save=(*_STEP_COLUMNS, *_LINK_COLUMNS), verify=True)


class StaleConversationError(RuntimeError):
    """The conversation changed since it was loaded (its version moved on)."""


class SqlConversations(Repository):
    __slots__ = ()

    async def get(self, conversation_id: int) -> ConversationRow | None:
        return _first(await self.conn.fetch(_BY_ID, {"k_id": conversation_id}))

    async def get_for_update(self, channel: str, address: str) -> ConversationRow | None:
        stmt = _BY_KEY_FOR_UPDATE if self.is_postgres else _BY_KEY
        params = {"k_channel": channel, "k_address": address}
        return _first(await self.conn.fetch(stmt, params))

    async def lock_recording(
        self, channel: str, address: str, message: NewInbound
    ) -> LockedChat | None:
        """`get_for_update`, store `message` in the chat it finds and, when the message is
        new, read the snapshot of the chat's debtor. No row: nothing stored, None. One round
        trip on PostgreSQL (two when the lock waited for another writer of the chat); two
        statements on SQLite (the row with the snapshot, then the message)."""
        if not self.is_postgres:
            key = {"k_channel": channel, "k_address": address}
            found = await self.conn.fetch(_BY_KEY_WITH_SNAPSHOT, key)
            if not found:
                return None
            row = ConversationRow.from_row(found[0])
            messages = SqlMessages(self.conn, self.dialect)
            new = await messages.add_new_inbound(row.id, channel, message) is not None
            return LockedChat(row, new, _snapshot_in(found[0]) if new else None)
        params: dict[str, Any] = {"k_channel": channel, "k_address": address}
        values = inbound_values(row_id=None, channel=channel, message=message)
        params.update((f"m_{name}", values[name]) for name in INBOUND_COLUMNS[1:])
        found = await self.conn.fetch(_LOCK_RECORDING, params)
        if not found:
            return None
        locked = found[0]
        row = ConversationRow.from_row(locked)
        new = locked["inbound_id"] is not None
        if not new or row.debtor_id is None:
            return LockedChat(row, new, None)
        if locked["seen_version"] != row.version:  # the lock waited: read after it
            return LockedChat(row, new, await self._snapshot(row.debtor_id))
        return LockedChat(row, new, _snapshot_in(locked))

    async def read_unlocked(
        self, channel: str, address: str, message: NewInbound
    ) -> LockedChat | None:
        """PostgreSQL: what `lock_recording` finds, without the lock and without storing the
        message, in one statement that runs before the transaction begins. The step taken
        from it is saved with `save(..., inbound=message)`, which stores the message with
        the save only if the chat's version is still the one read here; if it moved on
        (another process wrote the chat meanwhile), that raises `StaleConversationError`,
        nothing is stored, and the caller starts again with `lock_recording`. A plain step is
        then two round trips, with no BEGIN or COMMIT. No row: None (nothing to read)."""
        params = {
            "k_channel": channel,
            "k_address": address,
            "m_channel_message_id": message.channel_message_id,
        }
        found = await self.conn.fetch_alone(_READ_UNLOCKED, params)
        return _unlocked(found[0]) if found else None

    async def create_unlocked(
        self,
        channel: str,
        address: str,
        message: NewInbound,
        *,
        state: str,
        context: Mapping[str, Any],
        locale: str | None,
        now: datetime,
        phones: Sequence[str] = (),
    ) -> LockedChat:
        """PostgreSQL: `read_unlocked` for a chat it did not find, creating the chat (in
        `state`, in bot mode) and its contact first when they are missing, in one statement run
        on its own (committed at once, so a creator in another process waits for it, and it
        for them; both end with the same rows). The message is not stored: the step's save
        stores it, as after `read_unlocked`. `phones`: the spellings of a WhatsApp sender's
        number; an unlinked contact is linked to the (unerased) debtor with one of them."""
        params = {
            "k_channel": channel,
            "k_address": address,
            "m_channel_message_id": message.channel_message_id,
            "locale": locale,
            "state": state,
            "context": dump_json(dict(context)),
            "mode": ConversationMode.BOT.value,
            "now": now,
            "phones": list(phones),
        }
        for _ in range(_CREATE_ATTEMPTS):
            found = await self.conn.fetch_alone(_CREATE_UNLOCKED, params)
            if found:
                return _unlocked(found[0])
        raise RuntimeError("a chat's creation kept racing with other creators")

    async def touch(self, conversation_id: int) -> None:
        """Move the version on without other changes: a step changed what the chat's snapshot
        reads (debts, agreements) but not the row itself (see `lock_recording`)."""
        await self.conn.run(_TOUCH, {"k_id": conversation_id})

    async def _snapshot(self, debtor_id: int) -> DebtorSnapshot | None:
        return await read_snapshot(self.conn, debtor_id)

    async def by_key(self, channel: str, address: str) -> ConversationRow | None:
        """Read a chat without locking it (for views such as the web chat history)."""
        params = {"k_channel": channel, "k_address": address}
        return _first(await self.conn.fetch(_BY_KEY, params))

    async def create(
        self,
        channel: str,
        address: str,
        *,
        state: str,
        context: Mapping[str, Any] | None = None,
        mode: str = ConversationMode.BOT,
        contact_id: int | None = None,
        debtor_id: int | None = None,
        now: datetime | None = None,
    ) -> ConversationRow:
        """Create the chat's row, or return the existing one (a concurrent creator won)."""
        now = now or utc_now()
        values = {
            "channel": channel,
            "address": address,
            "state": state,
            "context": dump_json(dict(context or {})),
            "mode": str(mode),
            "contact_id": contact_id,
            "debtor_id": debtor_id,
            "version": 0,
            "created_at": now,
            "updated_at": now,
        }
        created = _first(await self.conn.fetch(_CREATE, values))
        if created is not None:
            return created
        found = await self.get_for_update(channel, address)
        if found is None:  # pragma: no cover - the insert or the conflict guarantees a row
            raise RuntimeError("conversation vanished right after creation")
        return found

    async def save(
        self,
        row: ConversationRow,
        *,
        now: datetime | None = None,
        loaded: ConversationRow | None = None,
        replies: Sequence[NewReply] = (),
        inbound: NewInbound | None = None,
        verified: ContactVerified | None = None,
    ) -> ConversationRow:
        """Write the row's state; `row.version` must be the version that was loaded. Given
        `loaded` (the row as it was read), link columns that did not change are not written.
        `replies` are stored and queued with it (`Replies.add`; one statement on PostgreSQL).

        `inbound`: the message this step answers, read with `read_unlocked`; stored with the
        save, before the replies, and only if the save succeeds. The save must then be the
        transaction's last statement: on PostgreSQL, when nothing was written before it, it
        runs on its own, outside a transaction.

        `verified`: the contact the step verified, linked and verified with the save (on
        PostgreSQL in the same statement), never without it."""
        now = now or utc_now()
        values = {
            "k_id": row.id,
            "k_version": row.version,
            "state": row.state,
            "context": row.context_json,
            "mode": str(row.mode),
            "contact_id": row.contact_id,
            "debtor_id": row.debtor_id,
            "assigned_agent_id": row.assigned_agent_id,
            "last_inbound_at": row.last_inbound_at,
            "updated_at": now,
        }
        unlinked = loaded is None or _links(row) != _links(loaded)
        if self.is_postgres and (replies or inbound is not None or verified is not None):
            arrays = reply_arrays(row.id, row.channel, row.address, replies, now, inbound)
            values.update(arrays)
            statement = _SAVE_REPLYING if unlinked else _SAVE_STEP_REPLYING
            if verified is not None:
                statement = _SAVE_VERIFYING_REPLYING
                values["v_contact_id"] = verified.contact_id
                values["v_debtor_id"] = verified.debtor_id
                values["v_verified_at"] = now
            if inbound is not None:
                saved = bool(await self.conn.fetch_alone(statement, values))
            else:
                saved = bool(await self.conn.fetch(statement, values))
        else:
            if inbound is not None:  # SQLite: the transaction makes it all or nothing
                await SqlMessages(self.conn, self.dialect).add_new_inbound(
                    row.id, row.channel, inbound
                )
            saved = await self.conn.run(_SAVE if unlinked else _SAVE_STEP, values) == 1
            if saved and verified is not None:
                await SqlContacts(self.conn, self.dialect).mark_verified(
                    verified.contact_id, verified.debtor_id, now
                )
            if saved and replies:
                await SqlReplies(self.conn, self.dialect).add(
                    row.id, row.channel, row.address, replies, now=now
                )
        if not saved:
            raise StaleConversationError(
                f"conversation {row.id} is newer than version {row.version}"
            )
        # Every column now holds what `row` says, and these two what the statement set.
        return evolve(row, version=row.version + 1, updated_at=now.astimezone(UTC))

    async def list_by_mode(self, mode: str, *, limit: int = 500) -> list[ConversationRow]:
        stmt = select(t).where(t.c.mode == str(mode)).order_by(t.c.updated_at).limit(limit)
        return [ConversationRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]

    async def for_debtor(self, debtor_id: int) -> list[ConversationRow]:
        stmt = select(t).where(t.c.debtor_id == debtor_id).order_by(t.c.id)
        return [ConversationRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]


def _unlocked(found: Mapping[str, Any]) -> LockedChat:
    """The chat of an unlocked read; its debtor's snapshot only for an unseen message."""
    row = ConversationRow.from_row(found)
    if found["seen"] or row.debtor_id is None:
        return LockedChat(row, not found["seen"], None)
    return LockedChat(row, True, _snapshot_in(found))


def _links(row: ConversationRow) -> tuple[object, ...]:
    return tuple(getattr(row, column) for column in _LINK_COLUMNS)


def _snapshot_in(found: Mapping[str, Any]) -> DebtorSnapshot | None:
    """The debtor's snapshot read with the chat's row; None when the debtor was erased."""
    nested = found["snapshot"]
    return None if nested is None else snapshot_from_json(nested)


def _first(rows: list[dict[str, Any]]) -> ConversationRow | None:
    return ConversationRow.from_row(rows[0]) if rows else None
