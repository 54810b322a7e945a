"""A channel's global rate holds for every process together, not for each one alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from bot.clock import ManualClock, SystemClock
from bot.outbox import ChannelLimits, OutboxWorker
from storage import Database, tables
from tests.bot.test_outbox import ScriptedSender, enqueue, run_worker, worker_for

RATE = 20.0  # messages/s for the channel, as TELEGRAM_RATE_PER_SECOND would set it
CHATS = 60


async def test_two_workers_share_the_channels_rate(db: Database) -> None:
    """Two workers on one database, as two `quita run` processes: 60 messages to 60 chats
    at 20/s with a second's burst take two seconds, not the one second two separate
    buckets would allow (the second worker would send its own burst at once); each message
    goes out once. Which worker wins each refill is a race: only the total is the rule."""
    await enqueue(db, {str(2000 + n): [f"m{n}"] for n in range(CHATS)})
    sender = ScriptedSender()
    first, second = (
        worker_for(db, sender, rate_per_second=RATE, per_chat_rate=1, per_chat_burst=3)
        for _ in range(2)
    )
    loop = asyncio.get_running_loop()
    began = loop.time()
    everything = asyncio.ensure_future(sender.wait_delivered(CHATS))
    await asyncio.gather(run_worker(first, everything), run_worker(second, everything))

    elapsed = loop.time() - began
    assert sorted(text for _, text, _ in sender.delivered) == sorted(f"m{n}" for n in range(CHATS))
    assert first.delivered + second.delivered == CHATS
    # A second's worth (20) at once, the other 40 at 20/s.
    assert elapsed >= (CHATS - RATE) / RATE * 0.9


async def test_a_worker_started_later_finds_the_burst_spent(db: Database) -> None:
    """The first worker sends a second's burst; a second worker, a process of its own
    started after it, gets no burst of its own: the other 40 messages take two seconds."""
    await enqueue(db, {str(2100 + n): [f"m{n}"] for n in range(CHATS)})
    sender = ScriptedSender()
    first, second = (
        worker_for(db, sender, rate_per_second=RATE, per_chat_rate=1, per_chat_burst=3)
        for _ in range(2)
    )
    await run_worker(first, asyncio.ensure_future(sender.wait_delivered(int(RATE))))
    assert first.delivered >= RATE  # recorded before it stopped

    loop = asyncio.get_running_loop()
    began = loop.time()
    await run_worker(second, asyncio.ensure_future(sender.wait_delivered(CHATS)))

    rest = CHATS - first.delivered
    assert second.delivered == rest
    assert loop.time() - began >= (rest - 1) / RATE * 0.9  # from an empty bucket
    assert sorted(text for _, text, _ in sender.delivered) == sorted(f"m{n}" for n in range(CHATS))


async def test_rounds_taking_at_once_never_take_more_than_there_is(
    postgres_db: Database,
) -> None:
    """Two processes' rounds on PostgreSQL: the second reads the budget while the first,
    which read it already, has not yet spent. The second waits for the first's transaction
    (the row is locked) and finds what it left, so 15 + 15 asked of 20 tokens gives 15 and
    5, not 15 twice."""
    db = postgres_db
    now = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    async with db.transaction(write=True) as tx:  # the channel's row exists, full
        await tx.outbox.spend(await tx.outbox.budget("telegram", RATE, RATE, now), 0)
    first_read, second_read = asyncio.Event(), asyncio.Event()

    async def take(wanted: int, read: asyncio.Event) -> int:
        async with db.transaction(write=True) as tx:
            budget = await tx.outbox.budget("telegram", RATE, RATE, now)
            read.set()
            if read is first_read:  # spend once the other round is reading or has read
                await _reading_or_waiting_for_the_row(db, second_read)
            taken = min(wanted, int(budget.available))
            await tx.outbox.spend(budget, taken)
            return taken

    async def second() -> int:
        await first_read.wait()
        return await take(15, second_read)

    assert sorted(await asyncio.gather(take(15, first_read), second())) == [5, 15]


async def _reading_or_waiting_for_the_row(db: Database, read: asyncio.Event) -> None:
    """Until the other round has read the budget, or its read waits for a row lock."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND datname = current_database()"
    )
    async with db.engine.connect() as watcher:
        while not read.is_set():
            # Each look in a transaction of its own: PostgreSQL keeps a transaction's first
            # view of pg_stat_activity, so one long transaction never saw the other round
            # start waiting (the test hung when that round was late, on a busy machine).
            async with watcher.begin():
                if (await watcher.execute(waiting)).scalar_one():
                    return
            await asyncio.sleep(0.01)  # polling the condition, not waiting it out


async def test_the_budget_refills_at_the_rate_up_to_the_burst(db: Database) -> None:
    clock = ManualClock(datetime(2026, 11, 26, 14, 0, tzinfo=UTC))

    async def take(wanted: int) -> float:
        async with db.transaction(write=True) as tx:
            budget = await tx.outbox.budget("telegram", RATE, RATE, clock.now())
            await tx.outbox.spend(budget, min(wanted, int(budget.available)))
            return budget.available

    assert await take(18) == RATE  # a new channel starts with a full second
    assert await take(0) == 2
    clock.advance(timedelta(milliseconds=100))
    assert await take(4) == 4  # 2 left + 0.1 s × 20
    clock.advance(timedelta(seconds=30))
    assert await take(0) == RATE  # never more than the burst


async def test_a_clock_behind_the_last_refill_refills_nothing(db: Database) -> None:
    """Processes on hosts whose clocks disagree must not mint tokens from the difference."""
    ahead = datetime(2026, 11, 26, 14, 0, 1, tzinfo=UTC)
    behind = ahead - timedelta(seconds=1)
    async with db.transaction(write=True) as tx:
        budget = await tx.outbox.budget("whatsapp", 80, 80, ahead)
        await tx.outbox.spend(budget, 80)
    async with db.transaction(write=True) as tx:
        budget = await tx.outbox.budget("whatsapp", 80, 80, behind)
        assert budget.available == 0
        await tx.outbox.spend(budget, 0)
    async with db.transaction(write=True) as tx:
        later = await tx.outbox.budget("whatsapp", 80, 80, ahead + timedelta(seconds=0.5))
    assert later.available == 40  # half a second after the ahead host's refill, not 1.5 s


async def test_a_limit_each_process_keeps_alone_takes_nothing_from_the_database(
    db: Database,
) -> None:
    """The web chat's limit is per process (its sockets are): no shared budget is kept."""
    await enqueue(db, {"3000": ["olá"]})
    sender = ScriptedSender()
    worker = OutboxWorker(
        db,
        {"telegram": sender},
        SystemClock(),
        limits={"telegram": ChannelLimits(RATE, shared=False)},
        idle_poll_seconds=0.05,
    )

    await run_worker(worker, asyncio.ensure_future(sender.wait_delivered(1)))

    async with db.transaction(write=False) as tx:
        budgets = (await tx.connection.execute(select(tables.send_budget))).all()
    assert budgets == []
