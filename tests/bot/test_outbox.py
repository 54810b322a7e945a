"""The outbox delivers committed messages once, in order, through failures and rate limits."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.base import ChannelName, OutboundMessage, SendError, SendErrorKind
from bot.clock import SystemClock
from bot.outbox import ChannelLimits, OutboxWorker, RetryPolicy
from storage import Database, NewOutbox


class ScriptedSender:
    """Fails as scripted, then succeeds; records each successful delivery with its time."""

    channel = ChannelName.TELEGRAM

    def __init__(self, script: list[SendError | None] | None = None) -> None:
        self.script = list(script or [])
        self.attempts: list[tuple[str, float]] = []
        self.delivered: list[tuple[str, str, float]] = []
        self.changed = asyncio.Condition()

    async def send(self, address: str, message: OutboundMessage) -> str:
        now = time.monotonic()
        self.attempts.append((message.text, now))
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        async with self.changed:
            self.delivered.append((address, message.text, now))
            self.changed.notify_all()
        return f"tg-{len(self.delivered)}"

    async def wait_delivered(self, count: int, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout), self.changed:
            await self.changed.wait_for(lambda: len(self.delivered) >= count)


async def enqueue(db: Database, texts_by_chat: dict[str, list[str]]) -> None:
    from bot.outbound_codec import dump

    now = datetime.now(UTC)
    async with db.transaction() as tx:
        for address, texts in texts_by_chat.items():
            conv = await tx.conversations.create("telegram", address, state="new", now=now)
            for text in texts:
                message_id = await tx.messages.add_outbound(conv.id, "telegram", text, now=now)
                await tx.outbox.enqueue(
                    [
                        NewOutbox(
                            conversation_id=conv.id,
                            channel="telegram",
                            address=address,
                            payload=dump(OutboundMessage(text=text)),
                            idempotency_key=f"msg:{message_id}",
                            message_id=message_id,
                        )
                    ],
                    now=now,
                )


async def run_worker(
    worker: OutboxWorker, until: asyncio.Future[None] | asyncio.Task[None]
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await until
    finally:
        stop.set()
        await task


def worker_for(db: Database, sender: ScriptedSender, **limits: float) -> OutboxWorker:
    return OutboxWorker(
        db,
        {"telegram": sender},
        SystemClock(),
        limits={"telegram": ChannelLimits(**limits)} if limits else None,
        retry=RetryPolicy(max_attempts=5, base_seconds=0.02, cap_seconds=0.1),
        idle_poll_seconds=0.05,
        rng=random.Random(1),
    )


async def test_429_then_502_twice_then_ok_delivers_once_after_the_wait(db: Database) -> None:
    sender = ScriptedSender(
        [
            SendError(SendErrorKind.RETRY_AFTER, "429 Too Many Requests", retry_after=0.4),
            SendError(SendErrorKind.RETRY, "502 Bad Gateway"),
            SendError(SendErrorKind.RETRY, "502 Bad Gateway"),
        ]
    )
    await enqueue(db, {"100": ["Olá!"]})
    worker = worker_for(db, sender)
    await run_worker(worker, asyncio.ensure_future(sender.wait_delivered(1)))
    assert [text for _, text, _ in sender.delivered] == ["Olá!"]
    assert len(sender.attempts) == 4
    first_try, second_try = sender.attempts[0][1], sender.attempts[1][1]
    assert second_try - first_try >= 0.4  # honoured retry_after
    async with db.transaction(write=False) as tx:
        row = await tx.outbox.get(1)
    assert row is not None
    assert row.status == "sent"
    assert row.attempts == 4


async def test_permanent_and_unreachable_errors_are_recorded_without_retry_loops(
    db: Database,
) -> None:
    sender = ScriptedSender(
        [
            SendError(SendErrorKind.PERMANENT, "400 Bad Request: message is too long"),
            SendError(SendErrorKind.UNREACHABLE, "403 Forbidden: bot was blocked by the user"),
        ]
    )
    await enqueue(db, {"200": ["a"], "300": ["b"]})
    worker = worker_for(db, sender)
    assert await worker.drain_once() == 2
    async with db.transaction(write=False) as tx:
        rows = [await tx.outbox.get(i) for i in (1, 2)]
        blocked = await tx.contacts.by_address("telegram", "300")
    assert [r.status for r in rows if r] == ["failed", "failed"]
    assert all(r and r.last_error for r in rows)
    assert len(sender.attempts) == 2
    assert blocked is None or blocked.unreachable_at is not None


async def test_gives_up_after_the_configured_attempts_and_says_why(db: Database) -> None:
    sender = ScriptedSender([SendError(SendErrorKind.RETRY, "timeout")] * 10)
    await enqueue(db, {"400": ["x"]})
    worker = worker_for(db, sender)
    done = asyncio.get_running_loop().create_future()

    async def watch() -> None:
        while True:
            async with db.transaction(write=False) as tx:
                row = await tx.outbox.get(1)
            if row is not None and row.status == "failed":
                done.set_result(None)
                return
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    await run_worker(worker, done)
    await watcher
    async with db.transaction(write=False) as tx:
        row = await tx.outbox.get(1)
    assert row is not None
    assert "gave up after 5 attempts" in (row.last_error or "")
    assert len(sender.attempts) == 5


async def test_each_chat_receives_its_messages_in_commit_order(db: Database) -> None:
    chats = {str(1000 + n): [f"{n}-{i}" for i in range(5)] for n in range(20)}
    sender = ScriptedSender([SendError(SendErrorKind.RETRY, "502")] * 7)
    await enqueue(db, chats)
    worker = worker_for(db, sender)
    await run_worker(worker, asyncio.ensure_future(sender.wait_delivered(100)))
    for address, texts in chats.items():
        assert [t for a, t, _ in sender.delivered if a == address] == texts


async def test_per_chat_rate_is_respected(db: Database) -> None:
    sender = ScriptedSender()
    await enqueue(db, {"500": [f"m{i}" for i in range(6)]})
    worker = worker_for(db, sender, rate_per_second=1000, per_chat_rate=20, per_chat_burst=2)
    await run_worker(worker, asyncio.ensure_future(sender.wait_delivered(6)))
    times = [at for _, _, at in sender.delivered]
    # Two go at once (burst), the remaining four at 20/s: at least ~0.2 s in total.
    assert times[-1] - times[0] >= 0.18


async def test_a_channels_rate_kept_in_the_process_is_respected(db: Database) -> None:
    sender = ScriptedSender()
    await enqueue(db, {str(600 + n): [f"m{n}"] for n in range(30)})
    worker = worker_for(db, sender, rate_per_second=20, per_chat_rate=1000, shared=False)
    await run_worker(worker, asyncio.ensure_future(sender.wait_delivered(30)))
    times = [at for _, _, at in sender.delivered]
    # A second's worth (20) goes at once, the other ten at 20/s: at least ~0.5 s in total.
    assert times[-1] - times[0] >= 0.45
    assert len(sender.delivered) == 30


async def test_a_round_undone_by_its_commit_groups_failure_runs_again(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await enqueue(sqlite_db, {"chat-1": ["one", "two"]})
    sender = ScriptedSender()
    worker = worker_for(sqlite_db, sender)
    rounds: list[bool] = []  # each write transaction's `retryable`
    transaction = sqlite_db.transaction

    def watched(*, write: bool = True, retryable: bool = False, urgent: bool = False) -> Any:
        rounds.append(retryable)
        return transaction(write=write, retryable=retryable, urgent=urgent)

    monkeypatch.setattr(sqlite_db, "transaction", watched)

    async def a_writer_that_fails() -> None:  # joins the round's group, after it
        async with transaction(retryable=True):
            raise RuntimeError("a bug in another writer")

    claimed, failed = await asyncio.gather(
        worker.drain_once(), a_writer_that_fails(), return_exceptions=True
    )

    assert isinstance(failed, RuntimeError)
    assert claimed == 2
    assert rounds == [True, False]  # undone, then run again with a savepoint
    assert [text for _, text, _ in sender.delivered] == ["one", "two"]
    await worker.drain_once()  # records the deliveries
    async with sqlite_db.transaction(write=False) as tx:
        assert await tx.outbox.pending_count() == 0
    assert len(sender.attempts) == 2  # each sent once


async def test_under_overload_committed_replies_are_claimed_before_queued_events_commit(
    database_url: str,
) -> None:
    """Events waiting for the writer (SQLite) or the one connection (PostgreSQL) do not hold
    back the outbox: its round goes first, so the debtor's reply is not stuck behind them."""
    db = Database(database_url, pool_size=1)
    try:
        await enqueue(db, {"100": ["Olá!"]})
        sender = ScriptedSender()
        worker = worker_for(db, sender)
        holding, release = asyncio.Event(), asyncio.Event()

        async def busy_event() -> None:
            async with db.transaction():
                holding.set()
                await release.wait()

        async def queued_event(n: int) -> bool:
            """Another debtor's event; whether the reply was already claimed when it ran."""
            async with db.transaction() as tx:
                await tx.audit.record("system", f"event {n}", now=datetime.now(UTC))
                row = await tx.outbox.get(1)
            assert row is not None
            return row.claimed_until is not None

        busy = asyncio.create_task(busy_event())
        await holding.wait()
        queued = [asyncio.create_task(queued_event(n)) for n in range(10)]
        await asyncio.sleep(0)  # one turn: the ten events queue first
        round_ = asyncio.create_task(worker.drain_once())
        await asyncio.sleep(0)  # the outbox's round queues after them
        release.set()

        saw_claimed = await asyncio.gather(*queued)
        await asyncio.gather(busy, round_)
        assert saw_claimed == [True] * 10
        assert [text for _, text, _ in sender.delivered] == ["Olá!"]
        async with db.transaction(write=False) as tx:
            recorded = {entry.action for entry in await tx.audit.recent()}
        assert recorded == {f"event {n}" for n in range(10)}  # every event committed too
    finally:
        await db.dispose()
