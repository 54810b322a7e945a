"""Claiming runs: a chat's consecutive due rows go to one claimer, in order, never split."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.database import Database
from storage.repositories.outbox import _CLAIM_CHANNEL
from storage.rows import NewOutbox, OutboxRow
from tests.storage.helpers import NOW, explain_sqlite, new_conversation


def row(
    conversation_id: int,
    key: str,
    address: str = "1001",
    channel: str = "telegram",
    *,
    due_in: float = 0,
) -> NewOutbox:
    return NewOutbox(
        conversation_id,
        channel,
        address,
        f'{{"text": "{key}"}}',
        key,
        available_at=NOW + timedelta(seconds=due_in),
    )


def keys(claimed: list[OutboxRow]) -> list[str]:
    return [r.idempotency_key for r in claimed]


async def test_a_claim_takes_each_chats_oldest_rows_in_order_up_to_the_run_length(
    db: Database,
) -> None:
    one = await new_conversation(db, "1")
    two = await new_conversation(db, "2")
    async with db.transaction() as tx:
        await tx.outbox.enqueue(
            [
                row(one.id, "1a", "1"),
                row(two.id, "2a", "2"),
                row(one.id, "1b", "1"),
                row(two.id, "2b", "2"),
                row(one.id, "1c", "1"),
                row(one.id, "1d", "1"),
            ],
            now=NOW,
        )
    async with db.transaction() as tx:
        first = await tx.outbox.claim(10, 30, NOW, channel="telegram", per_chat=3)
        assert await tx.outbox.claim(10, 30, NOW, channel="telegram", per_chat=3) == []
    assert keys(first) == ["1a", "2a", "1b", "2b", "1c"]
    assert all(r.status == "pending" and r.attempts == 1 for r in first)
    async with db.transaction() as tx:
        await tx.outbox.mark_sent_many([(r, f"m-{r.id}") for r in first], NOW)
        assert keys(await tx.outbox.claim(10, 30, NOW, channel="telegram", per_chat=3)) == ["1d"]


async def test_the_batch_limit_cuts_a_run_after_its_first_rows(db: Database) -> None:
    one = await new_conversation(db, "1")
    two = await new_conversation(db, "2")
    async with db.transaction() as tx:
        await tx.outbox.enqueue(
            [row(one.id, f"1{c}", "1") for c in "abc"] + [row(two.id, "2a", "2")], now=NOW
        )
    async with db.transaction() as tx:
        first = await tx.outbox.claim(2, 30, NOW, channel="telegram", per_chat=3)
        second = await tx.outbox.claim(2, 30, NOW, channel="telegram", per_chat=3)
    assert keys(first) == ["1a", "1b"]
    assert keys(second) == ["2a"]  # chat 1's "1c" waits until its earlier rows are done


async def test_a_row_not_yet_due_ends_its_chats_run(db: Database) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        await tx.outbox.enqueue(
            [
                row(conv.id, "a"),
                row(conv.id, "b"),
                row(conv.id, "later", due_in=60),
                row(conv.id, "c"),
            ],
            now=NOW,
        )
        claimed = await tx.outbox.claim(10, 30, NOW, channel="telegram", per_chat=10)
    assert keys(claimed) == ["a", "b"]


async def test_a_claim_for_one_channel_leaves_the_others_chats(db: Database) -> None:
    telegram = await new_conversation(db, "1", "telegram")
    webchat = await new_conversation(db, "w1", "webchat")
    async with db.transaction() as tx:
        await tx.outbox.enqueue(
            [row(telegram.id, "t", "1"), row(webchat.id, "w", "w1", "webchat")], now=NOW
        )
        assert keys(await tx.outbox.claim(10, 30, NOW, channel="webchat", per_chat=3)) == ["w"]
        assert keys(await tx.outbox.claim(10, 30, NOW, channel="telegram", per_chat=3)) == ["t"]


async def test_released_rows_are_claimable_again_without_spending_an_attempt(
    db: Database,
) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        await tx.outbox.enqueue([row(conv.id, "a"), row(conv.id, "b")], now=NOW)
        claimed = await tx.outbox.claim(10, 30, NOW, channel="telegram", per_chat=3)
        await tx.outbox.release(claimed)
    async with db.transaction() as tx:
        again = await tx.outbox.claim(10, 30, NOW, channel="telegram", per_chat=3)
    assert [(r.idempotency_key, r.attempts) for r in again] == [("a", 1), ("b", 1)]


async def test_a_release_after_the_lease_ran_out_leaves_the_new_claim_alone(
    db: Database,
) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        await tx.outbox.enqueue([row(conv.id, "a")], now=NOW)
        stale = await tx.outbox.claim(10, 30, NOW, channel="telegram", per_chat=3)
        later = NOW + timedelta(seconds=31)
        fresh = await tx.outbox.claim(10, 30, later, channel="telegram", per_chat=3)
        await tx.outbox.release(stale)
        current = await tx.outbox.get(fresh[0].id)
    assert current is not None
    assert (current.status, current.attempts) == ("pending", 2)
    assert current.claimed_until == later + timedelta(seconds=30)


async def test_next_due_is_when_a_chat_can_go_not_when_rows_behind_a_retry_were_queued(
    db: Database,
) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        await tx.outbox.enqueue([row(conv.id, "a"), row(conv.id, "b")], now=NOW)
        assert await tx.outbox.next_due_at(["telegram"]) == NOW
        (first,) = await tx.outbox.claim(10, 30, NOW, channel="telegram", per_chat=1)
        assert await tx.outbox.next_due_at(["telegram"]) == NOW + timedelta(seconds=30)
        assert await tx.outbox.mark_retry(first, "HTTP 502", NOW + timedelta(seconds=5))
        assert await tx.outbox.next_due_at(["telegram"]) == NOW + timedelta(seconds=5)
        assert await tx.outbox.next_due_at(["webchat"]) is None


async def test_concurrent_claimers_of_runs_send_every_row_once_in_chat_order(
    db: Database,
) -> None:
    chats = [await new_conversation(db, str(n)) for n in range(8)]
    async with db.transaction() as tx:
        await tx.outbox.enqueue(
            [row(c.id, f"{c.id}-{i}", c.address) for i in range(7) for c in chats], now=NOW
        )
    sent: list[tuple[int, int]] = []

    async def worker() -> None:
        while True:
            async with db.transaction() as tx:
                batch = await tx.outbox.claim(5, 60, NOW, channel="telegram", per_chat=3)
                sent.extend((claimed.conversation_id, claimed.id) for claimed in batch)
                await tx.outbox.mark_sent_many([(r, f"m{r.id}") for r in batch], NOW)
            if not batch:
                async with db.transaction(write=False) as tx:
                    if await tx.outbox.pending_count() == 0:
                        return

    await asyncio.gather(*(worker() for _ in range(4)))
    assert len(sent) == 56
    assert len({outbox_id for _, outbox_id in sent}) == 56
    for chat in chats:
        ids = [outbox_id for conversation_id, outbox_id in sent if conversation_id == chat.id]
        assert ids == sorted(ids)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_claimers_never_split_a_chat_whose_head_another_holds(
    db: Database,
) -> None:
    busy = await new_conversation(db, "busy")
    other = await new_conversation(db, "other")
    async with db.transaction() as tx:
        await tx.outbox.enqueue(
            [row(busy.id, f"b{i}", "busy") for i in range(4)] + [row(other.id, "o", "other")],
            now=NOW,
        )
    holding = asyncio.Event()
    release = asyncio.Event()

    async def slow_claimer() -> None:
        async with db.transaction() as tx:
            assert keys(await tx.outbox.claim(1, 60, NOW, channel="telegram")) == ["b0"]
            holding.set()
            await release.wait()  # keep the head's row lock, uncommitted

    task = asyncio.create_task(slow_claimer())
    await holding.wait()
    async with db.transaction() as tx:  # must neither wait nor take "busy"'s later rows
        claim = tx.outbox.claim(10, 60, NOW, channel="telegram", per_chat=4)
        second = await asyncio.wait_for(claim, 10)
    release.set()
    await task
    assert keys(second) == ["o"]


def test_the_sqlite_claim_reads_unsent_rows_through_their_partial_index(sqlite_url: str) -> None:
    """A claim must cost the backlog, not the history of sent rows: SQLite uses a partial
    index only when the query spells its WHERE exactly, so a rewrite can lose it silently."""
    details = explain_sqlite(sqlite_url, _CLAIM_CHANNEL, plan=True)
    assert any("ix_outbox_channel_conversation_id_id (channel=?)" in d for d in details), details
    assert not any(d.startswith("SCAN") and "outbox" in d for d in details), details


def test_the_sqlite_claim_updates_its_chosen_rows_by_primary_key(sqlite_url: str) -> None:
    """Found through an index of unsent rows, the rows to lease would be every queued row
    checked against the chosen few: a claim behind a backlog of 15,000 then took three times
    as long, and the further delivery fell behind, the slower it caught up."""
    details = explain_sqlite(sqlite_url, _CLAIM_CHANNEL, plan=True)
    assert details[0] == "SEARCH outbox USING INTEGER PRIMARY KEY (rowid=?)", details
