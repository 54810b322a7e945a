"""The service path: simulated debtors through `ConversationService.handle`, on SQLite or
PostgreSQL, with a recording sender behind the outbox.

Two runs, both open loops (events arrive at a rate, spread over debtors at different points
of their conversations, like real chat traffic):
- capacity: offered `CAPACITY_OFFERED_RATE`, more than the service can do, so the rate it
  completes is its capacity with chats interleaved as real traffic interleaves them;
- latency at a target rate: offered `rate`, and the time from arrival to commit is measured.
A closed loop (`run_closed_loop`: every debtor sends as soon as its last message is
committed) runs the debtors in lockstep, so a commit's events belong to neighbouring chats
and share SQLite pages that real traffic does not: it overstated SQLite's capacity by ~30 %
(docs/performance.md, nineteenth round). Tools that study that effect still use it.
After each, the bench waits for the outbox to deliver every committed reply and says how
long that took, so a run never hands its backlog to the next one. With the outbox delivering
during the runs, the open loop also gets a figure from each event's arrival to its last reply
handed to the channel: what a debtor waits for. The baseline runs the same
conversations through the pure dialog and rendering only, with no storage, so the cost of
durability is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from bot import outbound_media
from bot.bench.conversations import (
    BENCH_NOW,
    InMemoryDebtor,
    script_for,
    seed_debtors,
)
from bot.bench.figures import Figures, measured
from bot.channels.base import ChannelName, ConversationKey, Inbound, OutboundMessage
from bot.clock import ManualClock
from bot.outbox import ChannelLimits, OutboxWorker
from bot.service import ConversationService
from dialogs.flow.events import Event
from dialogs.negotiation.policy import Policy, default_policy
from storage import Database, upgrade

_SENT_IDS = itertools.count(1)


class RecordingSender:
    """Counts what the outbox would have sent, and notes when each chat's replies went."""

    channel = ChannelName.WEBCHAT

    def __init__(self) -> None:
        self.sent = 0
        self.sent_at: dict[str, list[float]] = defaultdict(list)  # per chat, in sending order
        self._progress = asyncio.Event()

    async def send(self, address: str, message: OutboundMessage) -> str:
        self.sent += 1
        self.sent_at[address].append(time.perf_counter())
        self._progress.set()
        # Unique like a platform's ids: across bench processes, and across runs in one.
        return f"bench-{os.getpid()}-{next(_SENT_IDS)}"

    async def wait_for(self, count: int) -> None:
        """Until `count` messages in all have been sent."""
        while self.sent < count:
            self._progress.clear()
            await self._progress.wait()


class ReplyCounter:
    """The service's replies committed so far (what the outbox has to deliver)."""

    def __init__(self, service: ConversationService) -> None:
        self.service = service
        self.queued = 0

    async def handle(self, inbound: Inbound) -> int:
        """Handle `inbound`; the number of replies it queued."""
        result = await self.service.handle(inbound)  # (`+=` around an await loses updates)
        self.queued += result.replies
        return result.replies


@dataclass(frozen=True, slots=True)
class Arrival:
    """One open-loop event: whose, which of their messages, when it arrived, replies queued."""

    debtor: int
    index: int
    at: float
    replies: int


def replies_out(run: Figures, arrivals: Sequence[Arrival], sender: RecordingSender) -> Figures:
    """From each event's arrival to its last reply handed to the channel: what a debtor waits
    for, service and delivery together. Each chat's replies leave in the order its events
    were handled, so the chat's n-th sent reply belongs to the event that queued it."""
    figures = run.of_the_same_run("  its replies out", [])
    by_debtor: dict[int, list[Arrival]] = defaultdict(list)
    for arrival in arrivals:
        by_debtor[arrival.debtor].append(arrival)
    for debtor, events in by_debtor.items():
        sent = iter(sender.sent_at[_address(debtor)])
        for event in sorted(events, key=lambda arrival: arrival.index):
            last = None
            for _ in range(event.replies):
                last = next(sent, None)
            if last is not None:
                figures.latencies_ms.append((last - event.at) * 1000)
    return figures


def _address(n: int) -> str:
    return f"wc_bench{n:07d}"


def _inbound(n: int, i: int, event: Event, at: datetime) -> Inbound:
    return Inbound(
        key=ConversationKey(ChannelName.WEBCHAT, _address(n)),
        event=event,
        received_at=at,
        message_id=f"bench{n}:{i}",
        locale="pt_BR",
    )


async def converse(
    service: ReplyCounter, n: int, clock: ManualClock, figures: Figures | None = None
) -> None:
    """Debtor `n`'s whole conversation, each message sent once the last one is committed;
    each event's latency goes into `figures`, if given."""
    for i, event in enumerate(script_for(n)):
        started = time.perf_counter()
        await service.handle(_inbound(n, i, event, clock.now()))
        if figures is not None:
            figures.latencies_ms.append((time.perf_counter() - started) * 1000)
            figures.events += 1


CAPACITY_OFFERED_RATE = 3000.0
"""Events/s the capacity run offers: three times the target, so that the run never keeps up."""
CAPACITY_LABEL = f"capacity @ {CAPACITY_OFFERED_RATE:,.0f}/s offered"


async def run_closed_loop(
    service: ReplyCounter,
    debtors: int,
    clock: ManualClock,
    echo: Callable[[str], None] | None = None,
    *,
    first: int = 0,
) -> Figures:
    """Every debtor sends its next message as soon as the last one is committed."""
    figures = Figures("service (closed loop)", 0, 0.0)

    async def everyone() -> None:
        await asyncio.gather(
            *(converse(service, first + n, clock, figures) for n in range(debtors))
        )

    return await measured(figures, debtors * len(script_for(0)), everyone, echo)


async def run_open_loop(
    service: ReplyCounter,
    debtors: int,
    offset: int,
    rate: float,
    clock: ManualClock,
    echo: Callable[[str], None] | None = None,
    arrivals: list[Arrival] | None = None,
    *,
    label: str | None = None,
) -> Figures:
    """Events arrive at `rate`/s in total (a Poisson process), like real chat traffic.

    Which debtor sends each arrival is shuffled (each debtor `len(script)` times), so at any
    moment debtors are at different points of their conversations, as in real traffic — not
    all greeting in the first second and all confirming an agreement in the last. Each
    arrival becomes its own task when it arrives, like a webhook request; the service's
    per-chat lock handles a debtor's messages in arrival order. Latency runs from the arrival
    time, so time spent queued behind a slow predecessor counts. `arrivals`, if given,
    receives every event's arrival and reply count (for `replies_out`).
    """
    figures = Figures(label or f"service @ {rate:,.0f}/s offered", 0, 0.0)
    rng = random.Random(7)
    scripts = [script_for(offset + n) for n in range(debtors)]
    senders = [n for n in range(debtors) for _ in scripts[n]]
    rng.shuffle(senders)
    gaps = [rng.expovariate(rate) for _ in senders]

    async def arrive(n: int, i: int, arrival: float) -> None:
        replies = await service.handle(_inbound(offset + n, i, scripts[n][i], clock.now()))
        figures.latencies_ms.append((time.perf_counter() - arrival) * 1000)
        figures.events += 1
        if arrivals is not None:
            arrivals.append(Arrival(offset + n, i, arrival, replies))

    async def everyone() -> None:
        sent = [0] * debtors
        handled: set[asyncio.Task[None]] = set()
        arrival = time.perf_counter()
        for n, gap in zip(senders, gaps, strict=True):
            arrival += gap
            if (wait := arrival - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            task = asyncio.create_task(arrive(n, sent[n], arrival))
            handled.add(task)  # a strong reference while it runs, dropped when done
            task.add_done_callback(handled.discard)
            sent[n] += 1
        await asyncio.gather(*handled)

    return await measured(figures, len(senders), everyone, echo)


async def run_capacity(
    service: ReplyCounter,
    debtors: int,
    clock: ManualClock,
    echo: Callable[[str], None] | None = None,
) -> Figures:
    """Capacity with chats interleaved: debtors `0..debtors` in an open loop offered more
    than the service can do (`CAPACITY_OFFERED_RATE`); its rate is what the service did."""
    return await run_open_loop(
        service,
        debtors,
        0,
        CAPACITY_OFFERED_RATE,
        clock,
        echo,
        label=CAPACITY_LABEL,
    )


async def drain_outbox(rig: BenchRig, echo: Callable[[str], None]) -> None:
    """Wait until the outbox has delivered every committed reply, and say how long it took."""
    began = time.perf_counter()
    replies = rig.counter.queued
    backlog = replies - rig.sender.sent
    rig.delivery.start()
    await _outbox_drained(rig)
    if not rig.delivery.during_runs:
        await rig.delivery.stop()
    echo(
        f"outbox: {replies:,} replies delivered; {backlog:,} were still queued when the run "
        f"ended and went out in {time.perf_counter() - began:.2f} s"
    )


def run_baseline(debtors: int, policy: Policy) -> Figures:
    """The same conversations through the pure dialog and rendering, no storage."""
    figures = Figures("baseline (no storage)", 0, 0.0)
    began, cpu_began = time.perf_counter(), time.process_time()
    for n in range(debtors):
        debtor = InMemoryDebtor(n, policy)
        for event in script_for(n):
            started = time.perf_counter()
            debtor.answer(event)
            figures.latencies_ms.append((time.perf_counter() - started) * 1000)
            figures.events += 1
    figures.seconds = time.perf_counter() - began
    figures.cpu_seconds = time.process_time() - cpu_began
    return figures


class Delivery:
    """The outbox worker of a bench, running during the runs or only between them."""

    def __init__(self, outbox: OutboxWorker, *, during_runs: bool) -> None:
        self.during_runs = during_runs
        self._outbox = outbox
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        if during_runs:
            self.start()

    def start(self) -> None:
        if self._task is None:
            self._stop = asyncio.Event()
            self._task = asyncio.create_task(self._outbox.run(self._stop))

    @property
    def outbox(self) -> OutboxWorker:
        return self._outbox

    async def stop(self) -> None:
        if self._task is not None:
            self._stop.set()
            await self._task
            self._task = None


@dataclass
class BenchRig:
    """One process's share of a bench: database, service, outbox worker, recording sender."""

    db: Database
    clock: ManualClock
    counter: ReplyCounter
    sender: RecordingSender
    delivery: Delivery


@contextlib.asynccontextmanager
async def bench_rig(
    url: str, policy: Policy, *, deliver_during_runs: bool = True, checkpoints: bool = True
) -> AsyncIterator[BenchRig]:
    """`checkpoints`: as for `Database`."""
    db = Database(url, checkpoints=checkpoints)
    clock = ManualClock(BENCH_NOW)
    service = ConversationService(db, policy, clock)
    sender = RecordingSender()
    outbox = OutboxWorker(
        db,
        {"webchat": sender},
        clock,
        limits={"webchat": ChannelLimits(100_000, 100_000, 100_000, shared=False)},
        idle_poll_seconds=0.05,
    )
    service.on_commit(outbox.wake)
    delivery = Delivery(outbox, during_runs=deliver_during_runs)
    try:
        await outbound_media.start()  # up before the runs, as `quita run` starts it
        yield BenchRig(db, clock, ReplyCounter(service), sender, delivery)
    finally:
        await delivery.stop()
        await db.dispose()
        await outbound_media.shutdown()  # the QR drawing process, as the app does on stop


async def bench(
    database_url: str | None,
    debtors: int,
    rate: float,
    echo: Callable[[str], None],
    progress: Callable[[int], None],
    report: Callable[[str], None] | None = None,
    processes: int = 1,
    *,
    deliver_during_runs: bool = True,
) -> Sequence[Figures]:
    """`report` (optional) receives a progress line every couple of seconds while running.

    `deliver_during_runs=False` measures the service path alone: the outbox delivers each
    run's replies after it (the time that takes is printed), not on the same core during it.

    `processes` > 1 (PostgreSQL only) splits the debtors over that many processes, each with
    its own service and outbox on the shared database, as several `quita run` would.
    """
    policy = default_policy()
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade(url)
        async with bench_rig(url, policy, deliver_during_runs=deliver_during_runs) as rig:
            echo(f"seeding {2 * debtors:,} debtors into {rig.db.dialect}…")
            await seed_debtors(rig.db, 2 * debtors, progress)
            if processes > 1:
                if rig.db.dialect != "postgresql":
                    raise ValueError("several processes need PostgreSQL (SQLite has one writer)")
                results = await _bench_processes(
                    url, debtors, rate, processes, echo, rig.db, deliver_during_runs
                )
            else:
                results = [await run_capacity(rig.counter, debtors, rig.clock, report)]
                await drain_outbox(rig, echo)  # the next run starts clean
                await settle(rig.db, echo)
                arrivals: list[Arrival] = []
                at_rate = await run_open_loop(
                    rig.counter, debtors, debtors, rate, rig.clock, report, arrivals
                )
                results.append(at_rate)
                await drain_outbox(rig, echo)
                if deliver_during_runs:
                    results.append(replies_out(at_rate, arrivals, rig.sender))
    results.append(run_baseline(debtors, policy))
    return results


async def settle(db: Database, echo: Callable[[str], None]) -> None:
    """PostgreSQL: vacuum and analyze every table before the latency run.

    The bench's tables grow from nothing, so autovacuum's first pass finds every one of them
    over its thresholds at once and works on all of them, for seconds of both cores; when
    that pass fell inside the open loop, p99 went from ~15 ms to ~290 ms (docs/performance.md,
    eleventh round). A production database's tables are large, and autovacuum's passes over
    them small and spread out. Done after the capacity run, the pass has nothing left to do
    during the latency run. Not before the capacity run: statistics taken while the chats'
    tables are still empty make the planner cache plans for empty tables, and that run then
    ran at half its speed (and scanned whole tables once per event: nineteenth round)."""
    if db.dialect != "postgresql":
        return
    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text("VACUUM (ANALYZE)"))
    echo("vacuumed and analyzed the tables before the run")


async def _bench_processes(
    url: str,
    debtors: int,
    rate: float,
    processes: int,
    echo: Callable[[str], None],
    db: Database,
    deliver_during_runs: bool,
) -> list[Figures]:
    """Both runs, each split over `processes` worker processes that start together; the
    tables are vacuumed between them, as in one process."""
    loop = asyncio.get_running_loop()
    share = debtors // processes
    results: list[Figures] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        for label, first, offered in (
            (f"{CAPACITY_LABEL}, {processes} processes", 0, CAPACITY_OFFERED_RATE),
            (f"service @ {rate:,.0f}/s offered, {processes} processes", debtors, rate),
        ):
            start_at = time.time() + 3.0  # every process set up and waiting by then
            slices = [
                loop.run_in_executor(
                    pool,
                    _bench_slice,
                    url,
                    first + n * share,
                    share,
                    offered / processes,
                    start_at,
                    deliver_during_runs,
                )
                for n in range(processes)
            ]
            parts = await asyncio.gather(*slices)
            figures = Figures(label, 0, 0.0)
            for events, seconds, latencies, cpu, drawing in parts:
                figures.events += events
                figures.seconds = max(figures.seconds, seconds)
                figures.latencies_ms.extend(latencies)
                figures.cpu_seconds += cpu
                figures.drawing_cpu_seconds += drawing
            echo(f"{label}: every process's outbox delivered its replies")
            results.append(figures)
            if first == 0:
                await settle(db, echo)
    return results


DRAIN_POLL_SECONDS = 0.2
"""How often a drain asks the database while this process's own replies are not all out."""


async def _outbox_drained(rig: BenchRig) -> None:
    """Until no reply is left unsent in the database, whichever process sends it.

    Between two looks at the database it waits for this process's sender to have sent every
    reply this process committed, or `DRAIN_POLL_SECONDS` when other processes deliver some
    of them. It used to look after each delivery: on PostgreSQL the count of 15,000 unsent
    rows took 5 ms of the server's time, hundreds of times a drain."""
    while True:
        async with rig.db.transaction(write=False) as tx:
            if not await tx.outbox.pending_count():
                return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(rig.sender.wait_for(rig.counter.queued), DRAIN_POLL_SECONDS)


def _bench_slice(
    url: str,
    first: int,
    count: int,
    rate: float,
    start_at: float,
    deliver_during_runs: bool,
) -> tuple[int, float, list[float], float, float]:
    """In a worker process: one share of a run, debtors `first..first + count` offered
    `rate`; (events, seconds, latencies, cpu seconds, QR drawing's cpu seconds)."""

    async def run() -> Figures:
        async with bench_rig(url, default_policy(), deliver_during_runs=deliver_during_runs) as rig:
            await asyncio.sleep(max(0.0, start_at - time.time()))
            figures = await run_open_loop(rig.counter, count, first, rate, rig.clock)
            rig.delivery.start()  # (already running when it delivers during the runs)
            await _outbox_drained(rig)  # any process's outbox may deliver any chat's replies
            return figures

    figures = asyncio.run(run())
    return (
        figures.events,
        figures.seconds,
        figures.latencies_ms,
        figures.cpu_seconds,
        figures.drawing_cpu_seconds,
    )
