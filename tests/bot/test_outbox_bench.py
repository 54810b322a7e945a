"""The outbox drains a backlog across many chats fast, each chat in order, each row once.

Default size is small so the suite stays fast; QUITA_OUTBOX_BENCH_ROWS=20000 (over a tenth as
many chats) measures the figure in the README.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from pytest_benchmark.fixture import BenchmarkFixture

from bot.channels.base import ChannelName, OutboundMessage
from bot.clock import ManualClock
from bot.outbound_codec import dump
from bot.outbox import ChannelLimits, OutboxWorker
from storage import Database, NewOutbox
from tests.conftest import run_in_fresh_loop

ROWS = int(os.environ.get("QUITA_OUTBOX_BENCH_ROWS", "2000"))
CHATS = max(1, ROWS // 10)
NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


class Recorder:
    channel = ChannelName.WEBCHAT

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, address: str, message: OutboundMessage) -> str:
        self.sent.append((address, message.text))
        return f"r-{len(self.sent)}"


async def queue_backlog(url: str) -> None:
    db = Database(url)
    try:
        async with db.transaction() as tx:
            ids = [
                (await tx.conversations.create("webchat", f"chat-{c}", state="new", now=NOW)).id
                for c in range(CHATS)
            ]
            await tx.outbox.enqueue(
                [
                    NewOutbox(
                        conversation_id=ids[n % CHATS],
                        channel="webchat",
                        address=f"chat-{n % CHATS}",
                        payload=dump(OutboundMessage(text=f"{n // CHATS}")),
                        idempotency_key=f"bench:{n}",
                    )
                    for n in range(ROWS)
                ],
                now=NOW,
            )
    finally:
        await db.dispose()


async def drain(url: str) -> list[tuple[str, str]]:
    db = Database(url)
    recorder = Recorder()
    worker = OutboxWorker(
        db,
        {"webchat": recorder},
        ManualClock(NOW),
        limits={"webchat": ChannelLimits(100_000, 100_000, 100_000)},
    )
    try:
        while await worker.drain_once():
            pass
    finally:
        await db.dispose()
    return recorder.sent


def test_a_backlog_drains_in_order_once(benchmark: BenchmarkFixture, database_url: str) -> None:
    run_in_fresh_loop(lambda: queue_backlog(database_url))
    started = time.perf_counter()
    sent: list[tuple[str, str]] = benchmark.pedantic(  # type: ignore[no-untyped-call]
        lambda: run_in_fresh_loop(lambda: drain(database_url)), rounds=1
    )
    elapsed = time.perf_counter() - started
    assert len(sent) == ROWS
    per_chat: dict[str, list[int]] = {}
    for address, text in sent:
        per_chat.setdefault(address, []).append(int(text))
    assert len(per_chat) == CHATS
    assert all(texts == sorted(texts) for texts in per_chat.values())
    assert all(len(texts) == len(set(texts)) for texts in per_chat.values())
    benchmark.extra_info.update(rows=ROWS, chats=CHATS, rows_per_second=ROWS / elapsed)
