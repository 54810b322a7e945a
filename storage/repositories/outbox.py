"""The transactional outbox: outbound deliveries written in the same commit as the state.

`claim` leases, per chat, a run of its oldest unsent rows (at most `per_chat`, all due and
none leased), so messages in one chat go out in order even with many workers; a lease
(`claimed_until`) lets another worker retry a row whose worker died, and `release` hands back
rows a worker claimed but did not try. Chats' heads are found with GROUP BY over a partial
index of unsent rows, so a claim costs the backlog of unsent rows, never the sent history. On
PostgreSQL, `FOR UPDATE SKIP LOCKED` on each chat's head keeps concurrent claimers off each
other's chats.

A leased row stays `pending`: a claim writes only `claimed_until` and `attempts`, which no
index holds (`status` is in the partial index's condition). PostgreSQL then writes the claim
in place, a HOT update with no new index entries, when the row's page has room (the table
keeps it: migration 0018); SQLite leaves the index alone. Only rows claimed before that
change say `sending`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Select,
    String,
    Update,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql

from storage import tables
from storage.enums import DeliveryStatus, OutboxStatus
from storage.prepared import Prepared, bound
from storage.repositories.base import Repository, insert_or_ignore
from storage.repositories.messages import SqlMessages
from storage.rows import NewOutbox, OutboxRow
from storage.types import utc_now

t = tables.outbox
message_t = tables.message
budget_t = tables.send_budget
UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


def _unsent(table: FromClause) -> ColumnElement[bool]:
    """`status IN ('pending', 'sending')` in literals, as the partial index of unsent rows
    (`storage.models.Outbox`) spells it: SQLite uses that index only for an exact match."""
    return table.c.status.in_([literal_column(f"'{status}'") for status in UNSENT])


def _claimable(table: FromClause) -> ColumnElement[bool]:
    """Due and not leased by a live worker (at `c_now`)."""
    now = bindparam("c_now", type_=t.c.available_at.type)
    return (table.c.available_at <= now) & or_(
        table.c.claimed_until.is_(None), table.c.claimed_until <= now
    )


def _chat_heads(*, by_channel: bool) -> Select[tuple[int]]:
    """Each chat's oldest unsent row id (of channel `c_channel` when `by_channel`), read from
    the partial index of unsent rows."""
    grouped = t.alias("grouped")
    heads = select(func.min(grouped.c.id)).where(_unsent(grouped))
    if by_channel:
        heads = heads.where(grouped.c.channel == bindparam("c_channel"))
    return heads.group_by(grouped.c.conversation_id)


def _claim_statement(dialect: str, *, by_channel: bool) -> Update:
    """Lease runs of due rows: per chat (oldest head first), its unsent rows from the head on,
    at most `c_per_chat` of them and none from the first one that is not due or is leased;
    at most `c_rows` rows in all. Each chat's run is bounded by reading its first
    `c_per_chat` unsent rows only, so a chat with a long queue costs no more than a short one.
    PostgreSQL locks the heads with SKIP LOCKED: a chat belongs to the claimer that holds its
    head, so two claimers never split one chat's run."""
    now = bindparam("c_now", type_=t.c.available_at.type)
    head = t.alias("head")
    ahead = t.alias("ahead")
    waits = or_(ahead.c.available_at > now, ahead.c.claimed_until > now)
    first_rows = (
        select(ahead.c.id, case((waits, ahead.c.id)).label("blocked_id"))
        .where(
            ahead.c.channel == head.c.channel,
            ahead.c.conversation_id == head.c.conversation_id,
            _unsent(ahead),
            ahead.c.id >= head.c.id,
        )
        .order_by(ahead.c.id)
        .limit(bindparam("c_per_chat", type_=Integer))
        .correlate(head)
        .subquery("first_rows")
    )
    run_end = select(
        func.coalesce(func.min(first_rows.c.blocked_id) - 1, func.max(first_rows.c.id))
    ).scalar_subquery()
    heads = (
        select(head.c.id, head.c.channel, head.c.conversation_id, run_end.label("run_end"))
        .where(head.c.id.in_(_chat_heads(by_channel=by_channel)), _claimable(head))
        .order_by(head.c.id)
        .limit(bindparam("c_chats", type_=Integer))
    )
    if dialect == "postgresql":
        heads = heads.with_for_update(skip_locked=True, of=head)
    chats = heads.cte("chats")
    row = t.alias("run_row")
    in_run = (
        (row.c.channel == chats.c.channel)
        & (row.c.conversation_id == chats.c.conversation_id)
        & _unsent(row)
        & (row.c.id >= chats.c.id)
        & (row.c.id <= chats.c.run_end)
    )
    limit = bindparam("c_rows", type_=Integer)
    # Still unsent, said so that no planner can pick an index of unsent rows over the
    # primary key: it would read every queued row to find the chosen few, so that a claim's
    # cost grew with the backlog (SQLite, through the old (status, available_at) index: a
    # claim of 50 behind 15,000 queued rows took 21 ms instead of 7). PostgreSQL's picked
    # the partial index when its statistics still said it was nearly empty.
    still_unsent = t.c.status.not_in(
        [literal_column(f"'{status}'") for status in (OutboxStatus.SENT, OutboxStatus.FAILED)]
    )
    chosen: ColumnElement[bool]
    if dialect == "postgresql":
        # Every step an index lookup keyed by the step before (a correlated subquery per
        # chat, then the primary key): a join here could be planned as a scan of all unsent
        # rows per chat when the statistics still say there are hardly any.
        run_ids = select(func.array_agg(row.c.id)).where(in_run).correlate(chats)
        runs = select(
            chats.c.id.label("head"), func.unnest(run_ids.scalar_subquery()).label("id")
        ).subquery("runs")
        first = select(runs.c.id).order_by(runs.c.head, runs.c.id).limit(limit).subquery("first")
        ids = select(func.array_agg(first.c.id)).scalar_subquery()
        chosen = t.c.id == any_(cast(ids, postgresql.ARRAY(Integer)))
    else:
        run_rows = select(row.c.id).select_from(chats).join(row, in_run)
        chosen = t.c.id.in_(run_rows.order_by(chats.c.id, row.c.id).limit(limit))
    return (
        update(t)
        .where(chosen, still_unsent, _claimable(t))
        .values(  # not `status`: see the module's docstring
            claimed_until=bindparam("c_until", type_=t.c.claimed_until.type),
            attempts=t.c.attempts + 1,
        )
        .returning(*t.c)
    )


# Every column a new delivery sets (`storage.repositories.replies` writes them too).
NEW_DELIVERY_COLUMNS = (
    "conversation_id",
    "message_id",
    "channel",
    "address",
    "payload",
    "idempotency_key",
    "status",
    "attempts",
    "available_at",
    "created_at",
    "proactive",
)

# Prepared (run straight on the driver): every reply is queued, claimed and marked sent.
_ENQUEUE = Prepared(
    lambda dialect: insert_or_ignore(dialect, t, ("idempotency_key",), ("id",)).values(
        bound(*NEW_DELIVERY_COLUMNS)
    )
)
_MARK_SENT = Prepared(
    update(t)
    .where(t.c.id == bindparam("k_id"))
    .values(
        status=OutboxStatus.SENT.value,
        channel_message_id=bindparam("k_cmid"),
        sent_at=bindparam("k_at"),
        claimed_until=None,
    )
)


def _next_due_statement(*, by_channel: bool) -> Select[tuple[datetime | None]]:
    """The earliest time a chat's head (its oldest unsent row) is due and not leased."""
    head = t.alias("head")
    ready = case(
        (head.c.claimed_until > head.c.available_at, head.c.claimed_until),
        else_=head.c.available_at,
    )
    return select(func.min(ready).label("due")).where(
        head.c.id.in_(_chat_heads(by_channel=by_channel))
    )


_NEXT_DUE = Prepared(_next_due_statement(by_channel=False))
_NEXT_DUE_CHANNEL = Prepared(_next_due_statement(by_channel=True))
_CLAIM = Prepared(lambda dialect: _claim_statement(dialect, by_channel=False))
_CLAIM_CHANNEL = Prepared(lambda dialect: _claim_statement(dialect, by_channel=True))
# PostgreSQL: a round's deliveries marked sent, and their messages given their platform ids,
# in one statement over arrays: one round trip, where two executemany calls took two (with
# delivery running in the bench, 0.84 → 0.81 ms of Quita's CPU per event).
_MARK_SENT_ALL = Prepared(
    text(
        f"""
WITH marked AS (
  UPDATE outbox SET status = '{OutboxStatus.SENT.value}', channel_message_id = s.cmid,
                    sent_at = :k_at, claimed_until = NULL
  FROM unnest(CAST(:k_ids AS INTEGER[]), CAST(:k_cmids AS TEXT[])) AS s(id, cmid)
  WHERE outbox.id = s.id
  RETURNING outbox.message_id, s.cmid
)
UPDATE message SET channel_message_id = marked.cmid,
  delivery_status = CASE WHEN message.delivery_status = '{DeliveryStatus.PENDING.value}'
                         THEN '{DeliveryStatus.SENT.value}' ELSE message.delivery_status END
FROM marked WHERE message.id = marked.message_id
"""  # noqa: S608 - only our enum values go into the text
    ).bindparams(
        bindparam("k_ids", type_=postgresql.ARRAY(Integer)),
        bindparam("k_cmids", type_=postgresql.ARRAY(String)),
        bindparam("k_at", type_=t.c.sent_at.type),
    )
)
# Row `k_id` is still being sent under the lease (`k_until`) that `claim` gave it: whoever
# claimed it since decides what happens to it. A row sent, retried, failed or released since
# has no lease, and a claim after this lease ran out ends later than it.
_STILL_LEASED = (
    t.c.id == bindparam("k_id"),
    t.c.claimed_until == bindparam("k_until", type_=t.c.claimed_until.type),
)
_RELEASE = Prepared(
    update(t)
    .where(*_STILL_LEASED)
    .values(status=OutboxStatus.PENDING.value, claimed_until=None, attempts=t.c.attempts - 1)
)
_RETRY = Prepared(
    update(t)
    .where(*_STILL_LEASED)
    .values(
        status=OutboxStatus.PENDING.value,
        last_error=bindparam("k_error"),
        available_at=bindparam("k_at", type_=t.c.available_at.type),
        claimed_until=None,
    )
)
_FAIL = Prepared(
    update(t)
    .where(*_STILL_LEASED)
    .values(status=OutboxStatus.FAILED.value, last_error=bindparam("k_error"), claimed_until=None)
    .returning(t.c.message_id)
)

_ATTACH_CHANNEL_ID = Prepared(
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


@dataclass(frozen=True, slots=True)
class ChannelBudget:
    """A channel's shared bucket as one round found it: the messages it may still send
    (refilled to the round's time), and the time the refill counted up to."""

    channel: str
    available: float
    refilled_at: datetime


_LOCK_BUDGET = select(budget_t.c.tokens, budget_t.c.refilled_at).where(
    budget_t.c.channel == bindparam("b_channel")
)


class SqlOutbox(Repository):
    __slots__ = ()

    async def budget(
        self, channel: str, rate_per_second: float, burst: float, now: datetime
    ) -> ChannelBudget:
        """`channel`'s shared sending budget now: the tokens left, plus `rate_per_second` for
        every second since it was last refilled, at most `burst`. Its row stays locked (on
        SQLite the write transaction already excludes other writers) until the transaction
        ends; `spend` records what the round took. A clock behind the last refill (another
        host's) refills nothing, and never moves the refill time back."""
        lock = _LOCK_BUDGET.with_for_update() if self.is_postgres else _LOCK_BUDGET
        found = (await self.conn.execute(lock, {"b_channel": channel})).first()
        if found is None:  # the channel's first round: a full bucket (another may race us)
            new = {"channel": channel, "tokens": burst, "refilled_at": now}
            await self.conn.execute(self.insert_or_ignore(budget_t, ("channel",)).values(new))
            found = (await self.conn.execute(lock, {"b_channel": channel})).one()
        elapsed = max(0.0, (now - found.refilled_at).total_seconds())
        available = min(float(burst), found.tokens + elapsed * rate_per_second)
        return ChannelBudget(channel, available, max(now, found.refilled_at))

    async def spend(self, budget: ChannelBudget, sent: int) -> None:
        """Take `sent` messages' worth of tokens from the budget `budget` found."""
        await self.conn.execute(
            update(budget_t)
            .where(budget_t.c.channel == budget.channel)
            .values(tokens=budget.available - sent, refilled_at=budget.refilled_at)
        )

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
                "proactive": row.proactive,
            }
            for row in rows
        ]
        queued = [await self.conn.fetch(_ENQUEUE, row) for row in values]
        return sorted(int(found[0]["id"]) for found in queued if found)

    async def claim(
        self,
        batch: int,
        lease_seconds: float,
        now: datetime,
        *,
        channel: str | None = None,
        per_chat: int = 1,
    ) -> list[OutboxRow]:
        """Lease up to `batch` due rows: per chat, its oldest unsent rows in order (at most
        `per_chat`), oldest chats first; only chats of `channel` when given."""
        params = {
            "c_now": now,
            "c_until": now + timedelta(seconds=lease_seconds),
            "c_chats": batch,
            "c_rows": batch,
            "c_per_chat": per_chat,
        }
        if channel is None:
            found = await self.conn.fetch(_CLAIM, params)
        else:
            found = await self.conn.fetch(_CLAIM_CHANNEL, {**params, "c_channel": channel})
        return sorted((OutboxRow.from_row(r) for r in found), key=lambda row: row.id)

    async def release(self, claimed: Sequence[OutboxRow]) -> None:
        """Hand back rows as `claim` returned them, untried (a chat's rows behind a failure):
        they are claimable again at once and that claim does not count as an attempt. A row
        whose lease ran out and was claimed again since is left to its new claimer."""
        if claimed:
            await self.conn.run_many(_RELEASE, [_lease(row) for row in claimed])

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

    async def mark_sent_many(
        self, sent: Sequence[tuple[OutboxRow, str | None]], now: datetime
    ) -> None:
        """`mark_sent` for a whole round: one statement on PostgreSQL, two executemany
        statements on SQLite (a None platform id: sent, but the id is not kept)."""
        if not sent:
            return
        if self.is_postgres:
            ids = [row.id for row, _ in sent]
            cmids = [cmid for _, cmid in sent]
            await self.conn.run(_MARK_SENT_ALL, {"k_ids": ids, "k_cmids": cmids, "k_at": now})
            return
        await self.conn.run_many(
            _MARK_SENT, [{"k_id": row.id, "k_cmid": cmid, "k_at": now} for row, cmid in sent]
        )
        messages = [
            {"k_id": row.message_id, "k_cmid": cmid}
            for row, cmid in sent
            if row.message_id is not None
        ]
        if messages:
            await self.conn.run_many(_ATTACH_CHANNEL_ID, messages)

    async def mark_retry(self, claimed: OutboxRow, error: str, available_at: datetime) -> bool:
        """Try `claimed` (as `claim` returned it) again at `available_at`; later rows of the
        chat wait behind it. False, and nothing changed, if its lease ran out and another
        worker claimed it since: that worker's outcome stands."""
        params = {**_lease(claimed), "k_error": error, "k_at": available_at}
        return bool(await self.conn.run(_RETRY, params))

    async def mark_failed(self, claimed: OutboxRow, error: str) -> bool:
        """Give up on `claimed` for good (its message too); the chat's next row becomes
        claimable. False, and nothing changed, if its lease ran out and another worker
        claimed it since (and may well have delivered it)."""
        found = await self.conn.fetch(_FAIL, {**_lease(claimed), "k_error": error})
        if not found:
            return False
        message_id = found[0]["message_id"]
        if message_id is not None:
            await SqlMessages(self.conn, self.dialect).mark_failed(message_id, error)
        return True

    async def get(self, outbox_id: int) -> OutboxRow | None:
        found = (await self.conn.execute(select(t).where(t.c.id == outbox_id))).mappings().first()
        return None if found is None else OutboxRow.from_row(found)

    async def pending_count(self) -> int:
        """Rows not yet sent or failed (for health and metrics)."""
        stmt = select(func.count()).select_from(t).where(_unsent(t))
        count: int = (await self.conn.execute(stmt)).scalar_one()
        return count

    async def next_due_at(self, channels: Sequence[str] | None = None) -> datetime | None:
        """When the first chat (of `channels`, if given) can be claimed: its oldest unsent row
        is due and not leased. Rows waiting behind another row do not count, so a worker whose
        chats are all held back by a retry sleeps until that retry instead of spinning."""
        if channels is None:
            found = [await self.conn.fetch(_NEXT_DUE, {})]
        else:
            found = [await self.conn.fetch(_NEXT_DUE_CHANNEL, {"c_channel": c}) for c in channels]
        dues = [rows[0]["due"] for rows in found if rows and rows[0]["due"] is not None]
        return min(dues, default=None)


def _lease(claimed: OutboxRow) -> dict[str, object]:
    """`_STILL_LEASED`'s parameters for a row as `claim` returned it."""
    return {"k_id": claimed.id, "k_until": claimed.claimed_until}
