"""The outbox delivers each row once, in order within a chat, across concurrent workers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from storage.database import Database
from storage.rows import NewOutbox
from tests.storage.helpers import NOW, new_conversation


def row(conversation_id: int, key: str, address: str = "1001") -> NewOutbox:
    return NewOutbox(conversation_id, "telegram", address, f'{{"text": "{key}"}}', key)


async def test_enqueue_skips_rows_whose_idempotency_key_exists(db: Database) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        first = await tx.outbox.enqueue([row(conv.id, "a"), row(conv.id, "b")], now=NOW)
        again = await tx.outbox.enqueue([row(conv.id, "b"), row(conv.id, "c")], now=NOW)
        assert len(first) == 2
        assert len(again) == 1
        assert await tx.outbox.pending_count() == 3


async def test_only_the_oldest_unsent_row_of_each_chat_is_claimed(db: Database) -> None:
    one = await new_conversation(db, "1")
    two = await new_conversation(db, "2")
    async with db.transaction() as tx:
        ids = await tx.outbox.enqueue(
            [row(one.id, "1a"), row(one.id, "1b"), row(two.id, "2a"), row(one.id, "1c")], now=NOW
        )
    async with db.transaction() as tx:
        claimed = await tx.outbox.claim(10, 30, NOW)
    assert [r.idempotency_key for r in claimed] == ["1a", "2a"]
    # Leased, not marked: a claim leaves `status` alone (see `storage.repositories.outbox`).
    assert all(r.status == "pending" and r.attempts == 1 for r in claimed)
    assert all(r.claimed_until == NOW + timedelta(seconds=30) for r in claimed)
    async with db.transaction() as tx:
        assert await tx.outbox.claim(10, 30, NOW) == []  # both heads are leased
        await tx.outbox.mark_sent(ids[0], "m-1a", NOW)
        await tx.outbox.mark_sent(ids[2], "m-2a", NOW)
    async with db.transaction() as tx:
        assert [r.idempotency_key for r in await tx.outbox.claim(10, 30, NOW)] == ["1b"]


async def test_a_claimed_row_carries_every_stored_value_in_its_field(db: Database) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        await tx.outbox.enqueue([row(conv.id, "a")], now=NOW)
        (claimed,) = await tx.outbox.claim(10, 30, NOW)
        stored = await tx.outbox.get(claimed.id)
    assert claimed == stored
    assert (claimed.conversation_id, claimed.channel, claimed.address) == (
        conv.id,
        "telegram",
        "1001",
    )
    assert (claimed.payload, claimed.idempotency_key) == ('{"text": "a"}', "a")
    assert (claimed.status, claimed.attempts, claimed.last_error) == ("pending", 1, None)
    assert (claimed.available_at, claimed.created_at) == (NOW, NOW)
    assert claimed.claimed_until == NOW + timedelta(seconds=30)
    assert (claimed.channel_message_id, claimed.sent_at, claimed.message_id) == (None, None, None)


async def test_a_retried_row_waits_and_holds_back_its_chat(db: Database) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        await tx.outbox.enqueue([row(conv.id, "a"), row(conv.id, "b")], now=NOW)
        (first,) = await tx.outbox.claim(10, 30, NOW)
        assert await tx.outbox.mark_retry(first, "HTTP 502", NOW + timedelta(seconds=5))
    async with db.transaction() as tx:
        assert await tx.outbox.claim(10, 30, NOW + timedelta(seconds=1)) == []
        later = await tx.outbox.claim(10, 30, NOW + timedelta(seconds=5))
    assert [(r.idempotency_key, r.attempts, r.last_error) for r in later] == [("a", 2, "HTTP 502")]


async def test_a_failed_row_lets_the_next_one_go_and_marks_its_message(db: Database) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        message_id = await tx.messages.add_outbound(conv.id, "telegram", "Olá", now=NOW)
        await tx.outbox.enqueue(
            [
                NewOutbox(conv.id, "telegram", "1001", "{}", "a", message_id=message_id),
                row(conv.id, "b"),
            ],
            now=NOW,
        )
        (first,) = await tx.outbox.claim(10, 30, NOW)
        assert await tx.outbox.mark_failed(first, "bot was blocked by the user")
    async with db.transaction() as tx:
        assert [r.idempotency_key for r in await tx.outbox.claim(10, 30, NOW)] == ["b"]
        message = await tx.messages.get(message_id)
    assert message is not None
    assert message.delivery_status == "failed"


async def test_a_worker_whose_lease_ran_out_cannot_undo_the_new_claimers_delivery(
    db: Database,
) -> None:
    """A stalled worker's late retry or failure must not resend or fail a delivered row."""
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        message_id = await tx.messages.add_outbound(conv.id, "telegram", "Olá", now=NOW)
        outbox = NewOutbox(conv.id, "telegram", "1001", "{}", "a", message_id=message_id)
        await tx.outbox.enqueue([outbox], now=NOW)
        (stalled,) = await tx.outbox.claim(10, 30, NOW)
    async with db.transaction() as tx:
        (taken_over,) = await tx.outbox.claim(10, 30, NOW + timedelta(seconds=31))
    async with db.transaction() as tx:  # the new claimer is still sending it
        late = NOW + timedelta(seconds=40)
        assert not await tx.outbox.mark_retry(stalled, "timed out", late)
        assert not await tx.outbox.mark_failed(stalled, "timed out")
        assert await tx.outbox.get(stalled.id) == taken_over
    async with db.transaction() as tx:
        await tx.outbox.mark_sent(taken_over.id, "m-1", NOW + timedelta(seconds=42))
        assert not await tx.outbox.mark_failed(stalled, "timed out")
        current = await tx.outbox.get(stalled.id)
        message = await tx.messages.get(message_id)
        assert await tx.outbox.claim(10, 30, late + timedelta(hours=1)) == []
    assert current is not None
    assert (current.status, current.channel_message_id, current.last_error) == ("sent", "m-1", None)
    assert message is not None
    assert (message.delivery_status, message.channel_message_id) == ("sent", "m-1")


async def test_an_expired_lease_is_claimed_again(db: Database) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        await tx.outbox.enqueue([row(conv.id, "a")], now=NOW)
        await tx.outbox.claim(10, 30, NOW)
    async with db.transaction() as tx:
        assert await tx.outbox.claim(10, 30, NOW + timedelta(seconds=29)) == []
        again = await tx.outbox.claim(10, 30, NOW + timedelta(seconds=31))
    assert [r.attempts for r in again] == [2]


async def test_a_row_claimed_before_leases_stayed_pending_is_claimed_and_sent(
    db: Database,
) -> None:
    """Rows that an older version marked `sending` wait for their lease, then go out."""
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        (row_id,) = await tx.outbox.enqueue([row(conv.id, "a")], now=NOW)
        await tx.connection.execute(
            text("UPDATE outbox SET status = 'sending', attempts = 1, claimed_until = :until"),
            {"until": NOW + timedelta(seconds=30)},
        )
    async with db.transaction() as tx:
        assert await tx.outbox.claim(10, 30, NOW + timedelta(seconds=29)) == []
        (again,) = await tx.outbox.claim(10, 30, NOW + timedelta(seconds=31))
        assert await tx.outbox.mark_retry(again, "HTTP 502", NOW + timedelta(seconds=40))
        (retried,) = await tx.outbox.claim(10, 30, NOW + timedelta(seconds=40))
        await tx.outbox.mark_sent_many([(retried, "m-1")], NOW + timedelta(seconds=41))
        current = await tx.outbox.get(row_id)
    assert (again.id, again.attempts, retried.attempts) == (row_id, 2, 3)
    assert current is not None
    assert (current.status, current.channel_message_id, current.claimed_until) == (
        "sent",
        "m-1",
        None,
    )


_OUTBOX_UPDATES = text(
    "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'outbox'"
)


async def test_postgres_writes_claims_in_place(postgres_db: Database) -> None:
    """A claim sets no indexed column, and the outbox's pages keep room for it, so PostgreSQL
    writes it as a HOT update: no index entry is added for it. (A claim that set `status`,
    or pages filled to the brim by their inserts, made none.)"""
    conv = await new_conversation(postgres_db)
    text_of_a_reply = "Seu acordo: 6 parcelas de R$ 150,00. " * 6
    queued = [
        NewOutbox(conv.id, "telegram", "1001", f'{{"text": "{text_of_a_reply}"}}', f"k{n}")
        for n in range(200)
    ]
    async with postgres_db.transaction() as tx:
        await tx.outbox.enqueue(queued, now=NOW)
    async with postgres_db.transaction() as tx:
        claimed = await tx.outbox.claim(200, 30, NOW, per_chat=200)
        updated, in_place = (await tx.connection.execute(_OUTBOX_UPDATES)).one()
    assert (len(claimed), updated) == (200, 200)
    assert in_place >= 0.9 * updated


async def test_concurrent_workers_send_every_row_once_in_chat_order(db: Database) -> None:
    chats = [await new_conversation(db, str(n)) for n in range(8)]
    async with db.transaction() as tx:
        await tx.outbox.enqueue(
            [row(c.id, f"{c.id}-{i}", c.address) for i in range(6) for c in chats], now=NOW
        )
    sent: list[tuple[int, int]] = []

    async def worker() -> None:
        while True:
            async with db.transaction() as tx:
                batch = await tx.outbox.claim(5, 60, NOW)
                for claimed in batch:
                    sent.append((claimed.conversation_id, claimed.id))
                    await tx.outbox.mark_sent(claimed.id, f"m{claimed.id}", NOW)
            if not batch:
                async with db.transaction(write=False) as tx:
                    if await tx.outbox.pending_count() == 0:
                        return

    await asyncio.gather(*(worker() for _ in range(4)))
    assert len(sent) == 48
    assert len({outbox_id for _, outbox_id in sent}) == 48
    for chat in chats:
        ids = [outbox_id for conversation_id, outbox_id in sent if conversation_id == chat.id]
        assert ids == sorted(ids)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_claimers_skip_rows_another_worker_holds(db: Database) -> None:
    chats = [await new_conversation(db, str(n)) for n in range(6)]
    async with db.transaction() as tx:
        await tx.outbox.enqueue([row(c.id, f"k{c.id}", c.address) for c in chats], now=NOW)
    holding = asyncio.Event()
    release = asyncio.Event()
    first_batch: list[int] = []

    async def slow_worker() -> None:
        async with db.transaction() as tx:
            first_batch.extend(r.id for r in await tx.outbox.claim(3, 60, NOW))
            holding.set()
            await release.wait()  # keep the row locks, uncommitted

    task = asyncio.create_task(slow_worker())
    await holding.wait()
    async with db.transaction() as tx:  # must not wait for the locked rows
        second_batch = [r.id for r in await asyncio.wait_for(tx.outbox.claim(10, 60, NOW), 10)]
    release.set()
    await task
    assert len(first_batch) == 3
    assert len(second_batch) == 3
    assert not set(first_batch) & set(second_batch)
