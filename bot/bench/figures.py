"""A run's figures (rate, latency percentiles, CPU per event) and DESIGN.md's targets."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import resource
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot import outbound_media
from bot.heap import settle_after_startup


@dataclass
class Figures:
    label: str
    events: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0  # process CPU (all threads): robust when the machine is shared
    # CPU the QR drawing process spent on the codes it handed back during the run (another
    # process, so not in `cpu_seconds`): what delivery costs the other core.
    drawing_cpu_seconds: float = 0.0
    # Each collection's pause: the loop stops, and every event due meanwhile waits for it.
    collector_pauses_ms: list[float] = field(default_factory=list)

    def of_the_same_run(self, label: str, latencies_ms: list[float]) -> Figures:
        """Another view of this run (its events, time, CPU and collector pauses) with other
        latencies, e.g. from arrival to the last reply out."""
        return Figures(
            label,
            self.events,
            self.seconds,
            latencies_ms,
            cpu_seconds=self.cpu_seconds,
            drawing_cpu_seconds=self.drawing_cpu_seconds,
            collector_pauses_ms=self.collector_pauses_ms,  # the same list: the same pauses
        )

    @property
    def cpu_ms_per_event(self) -> float:
        return 1000 * self.cpu_seconds / self.events if self.events else 0.0

    @property
    def drawing_ms_per_event(self) -> float:
        return 1000 * self.drawing_cpu_seconds / self.events if self.events else 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def line(self) -> str:
        pauses = self.collector_pauses_ms
        drawing = (
            f" (+{self.drawing_ms_per_event:.2f} drawing QR codes)"
            if round(self.drawing_ms_per_event, 2)
            else ""
        )
        return (
            f"{self.label:<28} {self.events:>7} events  {self.rate:>9,.0f} events/s  "
            f"p50 {self.percentile(50):6.2f} ms  p95 {self.percentile(95):6.2f} ms  "
            f"p99 {self.percentile(99):6.2f} ms  cpu {self.cpu_ms_per_event:5.2f} ms/event"
            f"{drawing}  gc {len(pauses)}× ≤ {max(pauses, default=0):.0f} ms"
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
TELEGRAM_ESTIMATE = Target(
    "DESIGN.md's estimate for an in-memory aiogram bot; aiogram is not installed here",
    1000,
    unit="updates",
)


def telegram_target(reference: Figures | None) -> Target:
    """DESIGN.md: at least an in-memory aiogram bot's updates/s on the same flow. Measured
    on the same loopback Bot API when aiogram is installed, else DESIGN.md's estimate."""
    if reference is None:
        return TELEGRAM_ESTIMATE
    return Target(
        "an in-memory aiogram bot, same flow and loopback API, DESIGN.md",
        reference.rate,
        unit="updates",
    )


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
    drawing_began = outbound_media.drawing_seconds_elsewhere()
    timer = _CollectorTimer(figures.collector_pauses_ms)
    gc.callbacks.append(timer)
    try:
        await work()
    finally:
        gc.callbacks.remove(timer)
        figures.seconds = time.perf_counter() - began
        figures.cpu_seconds = time.process_time() - cpu_began
        figures.drawing_cpu_seconds = outbound_media.drawing_seconds_elsewhere() - drawing_began
        if reporter is not None:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
    return figures


class _CollectorTimer:
    """A `gc.callbacks` entry that records how long each collection paused the loop."""

    def __init__(self, pauses_ms: list[float]) -> None:
        self._pauses_ms = pauses_ms
        self._started = 0.0

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self._pauses_ms.append((time.perf_counter() - self._started) * 1000)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
