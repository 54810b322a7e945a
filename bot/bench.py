"""`quita bench`: drive simulated debtors through whole conversations and measure.

Each simulated debtor opens the chat, verifies with their CPF, asks for installments, picks
6x, pays by PIX and confirms, with a couple of stray messages on the way — every event goes
through `ConversationService.handle` and is committed before the next one. The outbox worker
runs alongside with a recording sender, as it would in production.

Two load shapes are reported:
- capacity: every debtor sends as soon as the previous reply is committed (closed loop);
- latency at a target rate: events arrive at `rate` per second spread over the debtors (open
  loop, like real chat traffic), and the time from arrival to commit is measured.
After each, the bench waits for the outbox to deliver every committed reply and says how
long that took, so a run never hands its backlog to the next one.
The baseline runs the same conversations through the pure dialog and rendering only, with
no storage, so the cost of durability is visible.

`--channel telegram` runs the same conversations end to end: updates are queued on a loopback
Bot API (in a process of its own, as the real one is on other machines: its CPU is not
Quita's), fetched by python-telegram-bot polling, handled concurrently across chats (in order
within each), committed by the service, and the replies sent back by the outbox through
`TelegramSender`. Latency is from the update being queued to its last reply accepted by the
API ("first reply": to the first one).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import random
import resource
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import outbound_media
from bot.channels.base import ChannelName, ConversationKey, Inbound, OutboundMessage, Sender
from bot.clock import ManualClock
from bot.heap import settle_after_startup
from bot.outbox import ChannelLimits, OutboxWorker
from bot.rendering import render_reply
from bot.service import ConversationService
from bot.testing.fake_telegram import text_message
from bot.testing.fake_telegram_process import FakeTelegramProcess
from dialogs.flow import State, initial_context, step
from dialogs.flow.actions import Reply
from dialogs.flow.events import DebtorLookedUp, Event, StartRequested, TextReceived
from dialogs.flow.snapshots import DebtorSnapshot, DebtSnapshot
from dialogs.negotiation.policy import Policy, default_policy
from storage import Database, upgrade
from storage.debt_import import ImportedDebt, ImportedDebtor, upsert_imported_debts

BENCH_NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
SCRIPT_AFTER_CPF = ("quero parcelar", "6x", "sim", "pix", "sim", "obrigado")
TELEGRAM_CHAT_BASE = 10_000_000  # simulated debtor n chats from Telegram id base + n


def cpf_for(n: int) -> str:
    """A valid, unique CPF for simulated debtor `n` (check digits computed)."""
    base = f"{100_000_000 + n * 7919 % 800_000_000:09d}"
    digits = [int(c) for c in base]
    for weight_start in (10, 11):
        total = sum(d * w for d, w in zip(digits, range(weight_start, 1, -1), strict=False))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


def script_for(n: int) -> list[Event]:
    return [StartRequested(None), TextReceived(cpf_for(n)), *map(TextReceived, SCRIPT_AFTER_CPF)]


@dataclass
class Figures:
    label: str
    events: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # process CPU (all threads): robust when the machine is shared

    @property
    def cpu_ms_per_event(self) -> float:
        return 1000 * self.cpu_seconds / self.events if self.events else 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def line(self) -> str:
        return (
            f"{self.label:<28} {self.events:>7} events  {self.rate:>9,.0f} events/s  "
            f"p50 {self.percentile(50):6.2f} ms  p95 {self.percentile(95):6.2f} ms  "
            f"p99 {self.percentile(99):6.2f} ms  cpu {self.cpu_ms_per_event:5.2f} ms/event"
        )


@dataclass(frozen=True, slots=True)
class Target:
    """One DESIGN.md performance target, judged against a run's figures."""

    label: str
    min_rate: float
    max_p99_ms: float | None = None
    unit: str = "events"

    def verdict(self, figures: Figures) -> str:
        met = figures.rate >= self.min_rate and (
            self.max_p99_ms is None or figures.percentile(99) <= self.max_p99_ms
        )
        wanted = f"≥ {self.min_rate:,.0f} {self.unit}/s" + (
            f", p99 ≤ {self.max_p99_ms:g} ms" if self.max_p99_ms is not None else ""
        )
        got = f"{figures.rate:,.0f} {self.unit}/s" + (
            f", p99 {figures.percentile(99):.1f} ms" if self.max_p99_ms is not None else ""
        )
        return f"target: {wanted} ({self.label}): {'MET' if met else 'MISSED'}, got {got}"


@dataclass(frozen=True, slots=True)
class LatencyTarget:
    """Tail latency while keeping up with an offered rate (an open-loop run).

    An open loop cannot finish faster than its arrivals, so "keeping up" means completing
    at ≥ 99 % of the offered rate; the offered rate itself must reach `min_offered`.
    """

    label: str
    min_offered: float
    max_p99_ms: float

    def verdict(self, figures: Figures, offered: float) -> str:
        kept_up = figures.rate >= 0.99 * offered
        met = offered >= self.min_offered and kept_up and figures.percentile(99) <= self.max_p99_ms
        wanted = f"p99 ≤ {self.max_p99_ms:g} ms at ≥ {self.min_offered:,.0f} events/s offered"
        got = (
            f"{figures.rate:,.0f} of {offered:,.0f} events/s offered, "
            f"p99 {figures.percentile(99):.1f} ms"
        )
        return f"target: {wanted} ({self.label}): {'MET' if met else 'MISSED'}, got {got}"


SERVICE_TARGET = Target("service path, DESIGN.md", 1000)
SERVICE_LATENCY_TARGET = LatencyTarget("service path, DESIGN.md", 1000, 20.0)
TELEGRAM_TARGET = Target("in-memory aiogram bot, DESIGN.md", 1000, unit="updates")


async def report_progress(
    figures: Figures, total: int, echo: Callable[[str], None], every: float = 2.0
) -> None:
    """Print a line every `every` seconds while `figures` fills up (cancel to stop)."""
    began = time.perf_counter()
    while True:
        await asyncio.sleep(every)
        elapsed = time.perf_counter() - began
        echo(
            f"  {figures.label}: {figures.events:,}/{total:,} events, "
            f"{figures.events / elapsed:,.0f}/s so far"
        )


async def measured(
    figures: Figures,
    total: int,
    work: Callable[[], Awaitable[None]],
    echo: Callable[[str], None] | None,
) -> Figures:
    """Run `work`, filling in wall time and process CPU time, with progress lines.

    First the heap is settled as `quita run` settles it after start-up (`bot.heap`): what
    the bench built for the run (each debtor's script, the arrival times) and what earlier
    runs left behind is moved out of the collector's reach. Otherwise every young collection
    during the run would walk those tens of thousands of objects — a debtor's phone holds its
    messages, not the server — and their pauses (~20 ms) would be measured as the service's.
    """
    settle_after_startup()
    reporter = asyncio.create_task(report_progress(figures, total, echo)) if echo else None
    began, cpu_began = time.perf_counter(), time.process_time()
    try:
        await work()
    finally:
        figures.seconds = time.perf_counter() - began
        figures.cpu_seconds = time.process_time() - cpu_began
        if reporter is not None:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
    return figures


_SENT_IDS = itertools.count(1)


class RecordingSender:
    """Counts what the outbox would have sent."""

    channel = ChannelName.WEBCHAT

    def __init__(self) -> None:
        self.sent = 0
        self._progress = asyncio.Event()

    async def send(self, address: str, message: OutboundMessage) -> str:
        self.sent += 1
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

    async def handle(self, inbound: Inbound) -> None:
        result = await self.service.handle(inbound)  # (`+=` around an await loses updates)
        self.queued += result.replies


async def seed_debtors(db: Database, count: int, progress: Callable[[int], None]) -> None:
    """Bulk-insert `count` debtors with one R$ 2.400,00 debt each, through the importer."""
    debtors = [
        ImportedDebtor(
            external_id=f"B{n:07d}",
            name=f"Pessoa Teste {n}",
            cpf=cpf_for(n),
            birth_date=date(1980, 1, 1) + timedelta(days=n % 9000),
            email=None,
            phone=None,
            state="SP",
        )
        for n in range(count)
    ]
    debts = [
        ImportedDebt(f"B{n:07d}", f"C{n:07d}", 'Notebook 15"', 240_000, date(2026, 9, 5), None)
        for n in range(count)
    ]
    async with db.transaction() as tx:
        await upsert_imported_debts(
            tx.connection, debtors, debts, now=BENCH_NOW, on_progress=progress
        )


def _inbound(n: int, i: int, event: Event, at: datetime) -> Inbound:
    return Inbound(
        key=ConversationKey(ChannelName.WEBCHAT, f"wc_bench{n:07d}"),
        event=event,
        received_at=at,
        message_id=f"bench{n}:{i}",
        locale="pt_BR",
    )


async def run_capacity(
    service: ReplyCounter,
    debtors: int,
    clock: ManualClock,
    echo: Callable[[str], None] | None = None,
    *,
    first: int = 0,
) -> Figures:
    """Every debtor sends its next message as soon as the last one is committed."""
    figures = Figures("service (closed loop)", 0, 0.0)

    async def debtor(n: int) -> None:
        for i, event in enumerate(script_for(n)):
            started = time.perf_counter()
            await service.handle(_inbound(n, i, event, clock.now()))
            figures.latencies_ms.append((time.perf_counter() - started) * 1000)
            figures.events += 1

    async def everyone() -> None:
        await asyncio.gather(*(debtor(first + n) for n in range(debtors)))

    return await measured(figures, debtors * len(script_for(0)), everyone, echo)


async def run_open_loop(
    service: ReplyCounter,
    debtors: int,
    offset: int,
    rate: float,
    clock: ManualClock,
    echo: Callable[[str], None] | None = None,
) -> Figures:
    """Events arrive at `rate`/s in total (a Poisson process), like real chat traffic.

    Which debtor sends each arrival is shuffled (each debtor `len(script)` times), so at any
    moment debtors are at different points of their conversations, as in real traffic — not
    all greeting in the first second and all confirming an agreement in the last. Each
    arrival becomes its own task when it arrives, like a webhook request; the service's
    per-chat lock handles a debtor's messages in arrival order. Latency runs from the arrival
    time, so time spent queued behind a slow predecessor counts.
    """
    figures = Figures(f"service @ {rate:,.0f}/s offered", 0, 0.0)
    rng = random.Random(7)
    scripts = [script_for(offset + n) for n in range(debtors)]
    senders = [n for n in range(debtors) for _ in scripts[n]]
    rng.shuffle(senders)
    gaps = [rng.expovariate(rate) for _ in senders]

    async def arrive(n: int, i: int, arrival: float) -> None:
        await service.handle(_inbound(offset + n, i, scripts[n][i], clock.now()))
        figures.latencies_ms.append((time.perf_counter() - arrival) * 1000)
        figures.events += 1

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


async def drain_outbox(rig: _Rig, echo: Callable[[str], None]) -> None:
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
    now = BENCH_NOW
    began, cpu_began = time.perf_counter(), time.process_time()
    for n in range(debtors):
        snapshot = DebtorSnapshot(
            debtor_id=n + 1,
            name=f"Pessoa Teste {n}",
            cpf=cpf_for(n),
            birth_date=date(1980, 1, 1),
            state="SP",
            debts=(DebtSnapshot(n + 1, f"C{n}", "Notebook", date(2026, 9, 5), 240_000),),
        )
        state, context = State.NEW, initial_context("pt_BR")
        for event in script_for(n):
            started = time.perf_counter()
            pending: list[Event] = [event]
            while pending:
                transition = step(state, context, pending.pop(), policy, now)
                state, context = transition.state, transition.context
                for action in transition.actions:
                    if isinstance(action, Reply):
                        render_reply(action, context.locale)
                    elif type(action).__name__ == "LookupDebtor":
                        pending.append(DebtorLookedUp(snapshot))
            figures.latencies_ms.append((time.perf_counter() - started) * 1000)
            figures.events += 1
    figures.seconds = time.perf_counter() - began
    figures.cpu_seconds = time.process_time() - cpu_began
    return figures


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Delivery:
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

    async def stop(self) -> None:
        if self._task is not None:
            self._stop.set()
            await self._task
            self._task = None


@dataclass
class _Rig:
    """One process's share of a bench: database, service, outbox worker, recording sender."""

    db: Database
    clock: ManualClock
    counter: ReplyCounter
    sender: RecordingSender
    delivery: _Delivery


@contextlib.asynccontextmanager
async def _rig(
    url: str, policy: Policy, *, deliver_during_runs: bool = True
) -> AsyncIterator[_Rig]:
    db = Database(url)
    clock = ManualClock(BENCH_NOW)
    service = ConversationService(db, policy, clock)
    sender = RecordingSender()
    outbox = OutboxWorker(
        db,
        {"webchat": sender},
        clock,
        limits={"webchat": ChannelLimits(100_000, 100_000, 100_000)},
        idle_poll_seconds=0.05,
    )
    service.on_commit(outbox.wake)
    delivery = _Delivery(outbox, during_runs=deliver_during_runs)
    try:
        yield _Rig(db, clock, ReplyCounter(service), sender, delivery)
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
        async with _rig(url, policy, deliver_during_runs=deliver_during_runs) as rig:
            echo(f"seeding {2 * debtors:,} debtors into {rig.db.dialect}…")
            await seed_debtors(rig.db, 2 * debtors, progress)
            if processes > 1:
                if rig.db.dialect != "postgresql":
                    raise ValueError("several processes need PostgreSQL (SQLite has one writer)")
                results = await _bench_processes(url, debtors, rate, processes, echo)
            else:
                results = [await run_capacity(rig.counter, debtors, rig.clock, report)]
                await drain_outbox(rig, echo)  # the next run starts clean
                results.append(
                    await run_open_loop(rig.counter, debtors, debtors, rate, rig.clock, report)
                )
                await drain_outbox(rig, echo)
    results.append(run_baseline(debtors, policy))
    return results


async def _bench_processes(
    url: str, debtors: int, rate: float, processes: int, echo: Callable[[str], None]
) -> list[Figures]:
    """Both runs, each split over `processes` worker processes that start together."""
    loop = asyncio.get_running_loop()
    share = debtors // processes
    results: list[Figures] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        for label, first in (
            (f"service (closed loop, {processes} processes)", 0),
            (
                f"service @ {rate:,.0f}/s offered, {processes} processes",
                debtors,
            ),
        ):
            start_at = time.time() + 3.0  # every process set up and waiting by then
            slices = [
                loop.run_in_executor(
                    pool,
                    _bench_slice,
                    url,
                    first == 0,
                    first + n * share,
                    share,
                    rate / processes,
                    start_at,
                )
                for n in range(processes)
            ]
            parts = await asyncio.gather(*slices)
            figures = Figures(label, 0, 0.0)
            for events, seconds, latencies, cpu in parts:
                figures.events += events
                figures.seconds = max(figures.seconds, seconds)
                figures.latencies_ms.extend(latencies)
                figures.cpu_seconds += cpu
            echo(f"{label}: every process's outbox delivered its replies")
            results.append(figures)
    return results


async def _outbox_drained(rig: _Rig) -> None:
    """Until no reply is left unsent in the database, whichever process sends it."""
    while True:
        async with rig.db.transaction(write=False) as tx:
            if not await tx.outbox.pending_count():
                return
        with contextlib.suppress(TimeoutError):  # woken by a delivery here, or look again
            await asyncio.wait_for(rig.sender.wait_for(rig.sender.sent + 1), 0.2)


def _bench_slice(
    url: str, closed_loop: bool, first: int, count: int, rate: float, start_at: float
) -> tuple[int, float, list[float], float]:
    """In a worker process: one share of a run; (events, seconds, latencies, cpu seconds)."""

    async def run() -> Figures:
        async with _rig(url, default_policy()) as rig:
            await asyncio.sleep(max(0.0, start_at - time.time()))
            if closed_loop:
                figures = await run_capacity(rig.counter, count, rig.clock, first=first)
            else:
                figures = await run_open_loop(rig.counter, count, first, rate, rig.clock)
            await _outbox_drained(rig)  # any process's outbox may deliver any chat's replies
            return figures

    figures = asyncio.run(run())
    return figures.events, figures.seconds, figures.latencies_ms, figures.cpu_seconds


# -- the Telegram path: real python-telegram-bot against the loopback Bot API ---------------


def telegram_script(n: int) -> list[str]:
    """What debtor `n` types in Telegram: the same conversation as `script_for(n)`."""
    return ["/start", cpf_for(n), *SCRIPT_AFTER_CPF]


@dataclass
class _ChatProgress:
    """Per chat: updates handled, replies the service queued, replies Telegram accepted."""

    handled: int = 0
    queued: int = 0
    delivered: int = 0
    waiting_since: float | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class _ProgressBoard:
    """What the simulated debtors wait on: each knows when its whole answer has been sent."""

    def __init__(self) -> None:
        self.chats: dict[str, _ChatProgress] = {}
        self.first_reply_ms: list[float] = []

    def chat(self, address: str) -> _ChatProgress:
        return self.chats.setdefault(address, _ChatProgress())

    def reply_seen(self, address: str) -> None:
        chat = self.chat(address)
        if chat.waiting_since is not None:
            self.first_reply_ms.append((time.perf_counter() - chat.waiting_since) * 1000)
            chat.waiting_since = None


class _CountingSink:
    """The service as the channel's sink, noting how many replies each update queued."""

    def __init__(self, service: ConversationService, board: _ProgressBoard) -> None:
        self._service = service
        self._board = board

    async def accept(self, inbound: Inbound) -> None:
        result = await self._service.handle(inbound)
        chat = self._board.chat(inbound.key.address)
        chat.handled += 1
        chat.queued += result.replies
        chat.changed.set()


class _CountingSender:
    """The real `TelegramSender`, noting each delivered reply."""

    channel = ChannelName.TELEGRAM

    def __init__(self, sender: Sender, board: _ProgressBoard) -> None:
        self._sender = sender
        self._board = board

    async def send(self, address: str, message: OutboundMessage) -> str:
        message_id = await self._sender.send(address, message)
        self._board.reply_seen(address)
        chat = self._board.chat(address)
        chat.delivered += 1
        chat.changed.set()
        return message_id


class _BatchedPusher:
    """Queues the debtors' messages on the fake Bot API, those of one loop turn in one
    request (the fake runs in another process)."""

    def __init__(self, fake: FakeTelegramProcess) -> None:
        self._fake = fake
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def push_text(self, chat_id: int, text: str) -> None:
        """Returns once the message is queued for `getUpdates`."""
        queued = asyncio.get_running_loop().create_future()
        update = {
            "message": text_message(chat_id, text, first_name="Pessoa", language_code="pt-br")
        }
        self._pending.append((update, queued))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await queued

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._fake.push_many([update for update, _ in batch])
            except Exception as error:
                for _, queued in batch:
                    queued.set_exception(error)
            else:
                for _, queued in batch:
                    queued.set_result(None)


async def run_telegram_capacity(
    pusher: _BatchedPusher,
    board: _ProgressBoard,
    debtors: int,
    echo: Callable[[str], None] | None = None,
) -> Figures:
    """Closed loop: each debtor types its next message once the whole reply has arrived."""
    figures = Figures("telegram (closed loop)", 0, 0.0)

    async def debtor(n: int) -> None:
        chat_id = TELEGRAM_CHAT_BASE + n
        chat = board.chat(str(chat_id))
        for sent, text in enumerate(telegram_script(n), start=1):
            started = time.perf_counter()
            chat.waiting_since = started
            await pusher.push_text(chat_id, text)
            while chat.handled < sent or chat.delivered < chat.queued:
                chat.changed.clear()
                await chat.changed.wait()
            figures.latencies_ms.append((time.perf_counter() - started) * 1000)
            figures.events += 1

    async def everyone() -> None:
        await asyncio.gather(*(debtor(n) for n in range(debtors)))

    return await measured(figures, debtors * len(telegram_script(0)), everyone, echo)


async def bench_telegram(
    database_url: str | None,
    debtors: int,
    echo: Callable[[str], None],
    progress: Callable[[int], None],
    pool_size: int = 8,
    report: Callable[[str], None] | None = None,
) -> Sequence[Figures]:
    """Bench conversations through PTB polling, the service, the outbox and `TelegramSender`.

    Rate limits are lifted: this measures Quita, not Telegram's 30 messages/s.
    """
    from bot.channels.telegram import TelegramChannel

    policy = default_policy()
    board = _ProgressBoard()
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade(url)
        db = Database(url)
        clock = ManualClock(BENCH_NOW)
        service = ConversationService(db, policy, clock)
        async with FakeTelegramProcess() as fake:
            channel = TelegramChannel(
                token=fake.token,
                sink=_CountingSink(service, board),
                base_url=fake.base_url,
                poll_timeout=1,
                clock=clock,
                connection_pool_size=pool_size,
            )
            outbox = OutboxWorker(
                db,
                {"telegram": _CountingSender(channel.sender, board)},
                clock,
                limits={"telegram": ChannelLimits(100_000, 100_000, 100_000)},
                idle_poll_seconds=0.05,
            )
            service.on_commit(outbox.wake)
            try:
                echo(f"seeding {debtors:,} debtors into {db.dialect}…")
                await seed_debtors(db, debtors, progress)
                await channel.start()
                delivery = _Delivery(outbox, during_runs=True)
                try:
                    capacity = await run_telegram_capacity(
                        _BatchedPusher(fake), board, debtors, report
                    )
                finally:
                    await delivery.stop()
                    await channel.stop()
            finally:
                await db.dispose()
    first = Figures(
        "telegram first reply", capacity.events, capacity.seconds, cpu_seconds=capacity.cpu_seconds
    )
    first.latencies_ms = board.first_reply_ms
    return [capacity, first]
