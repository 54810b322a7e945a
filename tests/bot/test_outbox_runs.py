"""A chat's replies leave together and in order; a failure holds back the rest of its chat
without spending their attempts; a slow chat does not hold up the others; a big backlog
drains with every message delivered once."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.channels.base import OutboundMessage, SendError, SendErrorKind
from bot.clock import ManualClock, SystemClock
from bot.outbound_codec import dump, load
from bot.outbox import ChannelLimits, OutboxWorker, RetryPolicy
from storage import Database, NewOutbox, OutboxRow, tables
from tests.bot.test_outbox import ScriptedSender, run_worker, worker_for


async def enqueue_events(db: Database, replies: dict[str, list[list[str]]]) -> None:
    """Commit each chat's events in turn, round-robin across chats (as live traffic does),
    every event's replies together in one transaction."""
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        conversations = {
            address: (await tx.conversations.create("telegram", address, state="new", now=now)).id
            for address in replies
        }
    for turn in range(max(len(events) for events in replies.values())):
        async with db.transaction() as tx:
            for address, events in replies.items():
                if turn >= len(events):
                    continue
                for text in events[turn]:
                    message_id = await tx.messages.add_outbound(
                        conversations[address], "telegram", text, now=now
                    )
                    await tx.outbox.enqueue(
                        [
                            NewOutbox(
                                conversation_id=conversations[address],
                                channel="telegram",
                                address=address,
                                payload=dump(OutboundMessage(text=text)),
                                idempotency_key=f"msg:{message_id}",
                                message_id=message_id,
                            )
                        ],
                        now=now,
                    )


async def outbox_rows(db: Database) -> dict[str, OutboxRow]:
    """Every outbox row, by the text it carries."""
    async with db.transaction(write=False) as tx:
        found = (await tx.connection.execute(select(tables.outbox))).mappings().all()
    rows = [OutboxRow.from_row(r) for r in found]
    return {load(r.payload).text: r for r in rows}


def texts_to(sender: ScriptedSender, address: str) -> list[str]:
    return [text for to, text, _ in sender.delivered if to == address]


async def test_a_chats_replies_to_one_event_leave_together_in_order(db: Database) -> None:
    await enqueue_events(db, {"100": [["Olá!", "Encontrei 1 pendência", "Como prefere pagar?"]]})
    sender = ScriptedSender()
    worker = worker_for(db, sender)
    assert await worker.drain_once() == 3
    assert texts_to(sender, "100") == ["Olá!", "Encontrei 1 pendência", "Como prefere pagar?"]
    assert await worker.drain_once() == 0  # records the round
    rows = await outbox_rows(db)
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}


async def test_a_retry_mid_run_holds_back_the_rest_without_spending_their_attempts(
    db: Database,
) -> None:
    await enqueue_events(db, {"200": [["a", "b", "c"]]})
    sender = ScriptedSender([None, SendError(SendErrorKind.RETRY, "502 Bad Gateway")])
    worker = worker_for(db, sender)
    assert await worker.drain_once() == 3
    assert [text for text, _ in sender.attempts] == ["a", "b"]  # "c" was not tried
    rows = await outbox_rows(db)
    assert (rows["b"].status, rows["b"].attempts, rows["b"].last_error) == (
        "pending",
        1,
        "502 Bad Gateway",
    )
    assert (rows["c"].status, rows["c"].attempts) == ("pending", 0)

    await run_worker(worker, asyncio.ensure_future(sender.wait_delivered(3)))
    assert texts_to(sender, "200") == ["a", "b", "c"]
    rows = await outbox_rows(db)
    assert {text: (r.status, r.attempts) for text, r in rows.items()} == {
        "a": ("sent", 1),
        "b": ("sent", 2),
        "c": ("sent", 1),
    }


async def test_a_permanent_failure_mid_run_lets_the_rest_of_the_chat_go_after_it(
    db: Database,
) -> None:
    await enqueue_events(db, {"300": [["a", "b", "c"]]})
    sender = ScriptedSender([None, SendError(SendErrorKind.PERMANENT, "400 Bad Request")])
    worker = worker_for(db, sender)
    await run_worker(worker, asyncio.ensure_future(sender.wait_delivered(2)))
    assert texts_to(sender, "300") == ["a", "c"]
    assert [text for text, _ in sender.attempts] == ["a", "b", "c"]
    rows = await outbox_rows(db)
    assert (rows["b"].status, rows["b"].last_error) == ("failed", "permanent: 400 Bad Request")
    assert (rows["c"].status, rows["c"].attempts) == ("sent", 1)


async def test_a_big_backlog_across_many_chats_drains_each_chat_in_order_once(
    db: Database,
) -> None:
    chats = {
        str(5000 + n): [
            [f"{n}.{event}.{reply}" for reply in range(1 + (n + event) % 3)] for event in range(4)
        ]
        for n in range(150)
    }
    total = sum(len(event) for events in chats.values() for event in events)
    await enqueue_events(db, chats)
    sender = ScriptedSender([SendError(SendErrorKind.RETRY, "502")] * 5)
    worker = OutboxWorker(
        db,
        {"telegram": sender},
        SystemClock(),
        retry=RetryPolicy(max_attempts=5, base_seconds=0.01, cap_seconds=0.05),
        batch_size=40,  # many rounds, runs cut by the batch
        run_length=3,
        idle_poll_seconds=0.05,
        rng=random.Random(3),
    )
    await run_worker(worker, asyncio.ensure_future(sender.wait_delivered(total)))
    assert len(sender.delivered) == total
    for address, events in chats.items():
        assert texts_to(sender, address) == [text for event in events for text in event]
    async with db.transaction(write=False) as tx:
        assert await tx.outbox.pending_count() == 0
    assert worker.delivered == total


class GatedSender(ScriptedSender):
    """Holds every send to `slow` until `gate` opens; the others go at once."""

    def __init__(self, slow: str) -> None:
        super().__init__()
        self.slow = slow
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def send(self, address: str, message: OutboundMessage) -> str:
        if address == self.slow:
            self.waiting.set()
            await self.gate.wait()
        return await super().send(address, message)


async def test_a_slow_chat_does_not_hold_up_replies_committed_after_it(db: Database) -> None:
    await enqueue_events(db, {"slow": [["1"]], "quick": [["2"]]})
    sender = GatedSender("slow")
    worker = worker_for(db, sender)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await sender.wait_delivered(1)
        await asyncio.wait_for(sender.waiting.wait(), 10)
        await enqueue_events(db, {"later": [["3", "4"]]})
        worker.wake()
        await sender.wait_delivered(3)
        assert [text for _, text, _ in sender.delivered] == ["2", "3", "4"]
        sender.gate.set()
        await sender.wait_delivered(4)
    finally:
        stop.set()
        await task
    assert texts_to(sender, "slow") == ["1"]
    async with db.transaction(write=False) as tx:
        assert await tx.outbox.pending_count() == 0


async def test_a_rate_limited_backlog_longer_than_the_lease_is_still_sent_once(
    db: Database,
) -> None:
    chats = {str(7000 + n): [[f"m{n}"]] for n in range(90)}
    await enqueue_events(db, chats)
    sender = ScriptedSender()
    worker = OutboxWorker(
        db,
        {"telegram": sender},
        SystemClock(),
        limits={"telegram": ChannelLimits(rate_per_second=45)},  # two seconds for all
        lease_seconds=1.0,
        idle_poll_seconds=0.05,
    )
    await run_worker(worker, asyncio.ensure_future(sender.wait_delivered(90, timeout=20)))
    assert sorted(text for _, text, _ in sender.delivered) == sorted(f"m{n}" for n in range(90))
    assert len(sender.attempts) == 90


async def test_two_workers_on_one_database_never_send_a_message_twice(
    db: Database, database_url: str
) -> None:
    chats = {
        str(9000 + n): [[f"{n}.{e}.{r}" for r in range(3)] for e in range(3)] for n in range(30)
    }
    await enqueue_events(db, chats)
    sender = ScriptedSender()
    other_db = Database(database_url)  # as a second process would
    try:
        workers = [
            OutboxWorker(
                database, {"telegram": sender}, SystemClock(), idle_poll_seconds=0.05, batch_size=25
            )
            for database in (db, other_db)
        ]
        stop = asyncio.Event()
        tasks = [asyncio.create_task(w.run(stop)) for w in workers]
        try:
            await sender.wait_delivered(270)
        finally:
            stop.set()
            await asyncio.gather(*tasks)
    finally:
        await other_db.dispose()
    assert len(sender.attempts) == 270
    for address, events in chats.items():
        assert texts_to(sender, address) == [text for event in events for text in event]
    assert sum(w.delivered for w in workers) == 270


class RepeatingIdSender(ScriptedSender):
    """A platform that hands out the same message id twice (or a second worker's id)."""

    async def send(self, address: str, message: OutboundMessage) -> str:
        await super().send(address, message)
        return "tg-same-id"


async def test_a_platform_id_seen_before_does_not_stall_delivery_or_resend(db: Database) -> None:
    await enqueue_events(db, {"700": [["primeira"]], "701": [["segunda"]], "702": [["terceira"]]})
    sender = RepeatingIdSender()
    worker = worker_for(db, sender, rate_per_second=1000, per_chat_rate=1000, per_chat_burst=1)

    await run_worker(worker, asyncio.ensure_future(sender.wait_delivered(3)))

    assert sorted(text for _, text, _ in sender.delivered) == ["primeira", "segunda", "terceira"]
    rows = await outbox_rows(db)
    assert {r.status for r in rows.values()} == {"sent"}  # recorded, so never sent again
    assert worker.delivered == 3
    assert len(sender.attempts) == 3


class SlowPlatform(ScriptedSender):
    """Each send takes `seconds` of the worker's (manual) clock."""

    def __init__(self, clock: ManualClock, seconds: float) -> None:
        super().__init__()
        self.clock = clock
        self.seconds = seconds

    async def send(self, address: str, message: OutboundMessage) -> str:
        sent = await super().send(address, message)
        self.clock.advance(timedelta(seconds=self.seconds))
        return sent


async def test_a_run_stops_at_a_quarter_of_its_lease_and_the_rest_goes_in_the_next_round(
    db: Database,
) -> None:
    """A 60 s lease: a chat's later rows go out only within 15 s of the claim. With 7.5 s per
    send the third row would start at 15 s exactly, so it waits for the next claim."""
    texts = ["1", "2", "3", "4", "5"]
    await enqueue_events(db, {"800": [texts]})
    clock = ManualClock(datetime.now(UTC) + timedelta(seconds=1))
    sender = SlowPlatform(clock, 7.5)
    worker = OutboxWorker(db, {"telegram": sender}, clock, lease_seconds=60.0)
    assert await worker.drain_once() == 5
    assert texts_to(sender, "800") == ["1", "2"]
    assert await worker.drain_once() == 3
    assert texts_to(sender, "800") == ["1", "2", "3", "4"]
    assert await worker.drain_once() == 1
    assert texts_to(sender, "800") == texts
    assert await worker.drain_once() == 0
    rows = await outbox_rows(db)
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}
