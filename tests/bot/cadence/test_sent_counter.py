"""The cadence's count of proactive messages: what it counts, and that it reads only the
partial index of proactive rows (a reply writes no entry there)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text
from sqlalchemy.dialects import sqlite

from bot.cadence.queries import OutboxSentCounter, proactive_sent_statement
from storage import tables
from storage.database import Database
from storage.rows import NewOutbox, NewReply
from tests.storage.helpers import NOW, new_debtor

PROACTIVE_INDEX = "ix_outbox_conversation_id_created_at"


async def _chat_of(db: Database, debtor_id: int, address: str) -> int:
    async with db.transaction() as tx:
        chat = await tx.conversations.create(
            "telegram", address, state="idle", debtor_id=debtor_id, now=NOW
        )
        return chat.id


def _reply(text: str, *, proactive: bool = False) -> NewReply:
    return NewReply(text, f'{{"text": "{text}"}}', "bot", proactive=proactive)


async def test_it_counts_proactive_messages_of_every_chat_of_the_debtor_in_the_window(
    db: Database,
) -> None:
    debtor = await new_debtor(db)
    other = await new_debtor(db, "D2", cpf="11144477735", phone="+5511911112222")
    telegram = await _chat_of(db, debtor, "1001")
    second_chat = await _chat_of(db, debtor, "1002")
    strangers = await _chat_of(db, other, "2001")
    async with db.transaction() as tx:
        await tx.replies.add(
            telegram,
            "telegram",
            "1001",
            [_reply("Lembrete", proactive=True), _reply("Resposta"), _reply("Oi")],
            now=NOW,
        )
        await tx.replies.add(
            second_chat, "telegram", "1002", [_reply("Aviso", proactive=True)], now=NOW
        )
        await tx.replies.add(strangers, "telegram", "2001", [_reply("X", proactive=True)], now=NOW)
        await tx.outbox.enqueue(
            [
                NewOutbox(second_chat, "telegram", "1002", "{}", "outreach:1", proactive=True),
                NewOutbox(second_chat, "telegram", "1002", "{}", "agent:1"),
            ],
            now=NOW + timedelta(hours=1),
        )
        yesterday = await tx.outbox.enqueue(
            [NewOutbox(telegram, "telegram", "1001", "{}", "old:1", proactive=True)],
            now=NOW - timedelta(days=1),
        )
        rows = await tx.connection.execute(select(tables.outbox.c.id, tables.outbox.c.proactive))
        flags = dict(rows.all())
    assert sorted(flags.values()) == [False] * 3 + [True] * 5

    async with db.transaction(write=False) as tx:
        counter = OutboxSentCounter(tx)
        today = await counter.sent_between(debtor, NOW, NOW + timedelta(days=1))
        this_week = await counter.sent_between(debtor, NOW - timedelta(days=6), NOW + timedelta(1))
    assert (today, this_week) == (3, 4)

    # A message that failed never reached the debtor: it does not count.
    async with db.transaction() as tx:
        claimed = await tx.outbox.claim(10, 60, NOW + timedelta(days=1), per_chat=10)
        old = next(row for row in claimed if row.id == yesterday[0])
        assert await tx.outbox.mark_failed(old, "blocked by the user")
    async with db.transaction(write=False) as tx:
        this_week = await OutboxSentCounter(tx).sent_between(
            debtor, NOW - timedelta(days=6), NOW + timedelta(1)
        )
    assert this_week == 3


async def test_sqlite_counts_through_the_partial_index_of_proactive_rows(
    sqlite_db: Database,
) -> None:
    statement = proactive_sent_statement(1, NOW, NOW + timedelta(days=1))
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    async with sqlite_db.transaction(write=False) as tx:
        plan = [row[-1] for row in await tx.connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    assert any(PROACTIVE_INDEX in step for step in plan), plan


async def test_postgres_can_count_through_the_partial_index_of_proactive_rows(
    postgres_db: Database,
) -> None:
    """The planner may prefer a scan of a table this small; forbidding scans shows the index
    answers the query (its condition is implied by the query's)."""
    statement = proactive_sent_statement(1, NOW, NOW + timedelta(days=1))
    async with postgres_db.transaction() as tx:
        await tx.connection.execute(text("SET LOCAL enable_seqscan = off"))
        compiled = statement.compile(
            dialect=tx.connection.dialect, compile_kwargs={"literal_binds": True}
        )
        plan = [row[0] for row in await tx.connection.execute(text(f"EXPLAIN {compiled}"))]
    assert any(PROACTIVE_INDEX in step for step in plan), plan
