"""Images drawn at delivery time, not inside the conversation's transaction.

A PIX QR code takes ~0.7 ms of CPU to draw (`bot.payments.qr`); doing it while holding the
chat's lock would cap throughput, so committed rows carry the payload and the outbox draws the
PNG just before handing the message to the channel. The drawing runs in a one-process
pool: a thread would still hold the GIL and slow the event loop, a process uses the other
core. The app starts the pool with the server (`start()`) and stops it on shutdown; the
process runs at the lowest CPU priority, so it draws in the time PostgreSQL's server leaves,
and ends by itself if the app is killed. If processes cannot run here (no fork/spawn, broken
or shut down), a worker thread draws instead.

That process's CPU is not in this one's `time.process_time()`: `drawing_seconds_elsewhere()`
adds it up, so `quita bench` can show what an event's QR codes cost the other core.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import os
import select
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import TypeVar, TypeVarTuple

from bot.channels.base import OutboundMessage
from bot.payments.qr import qr_png

__all__ = [
    "drawing_seconds_elsewhere",
    "materialize",
    "qr_image",
    "qr_image_async",
    "shutdown",
    "start",
]

log = logging.getLogger(__name__)

_R = TypeVar("_R")
_Args = TypeVarTuple("_Args")

_CACHE_SIZE = 512  # a debtor's installments repeat the same few payloads
_POOL_WORKERS = 1  # the other core; the event loop keeps this one
DRAWING_NICENESS = 19  # the lowest priority: codes are drawn in the core's spare time


class _PngCache:
    """A small thread-safe LRU of drawn PNGs keyed by payload."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, payload: str) -> bytes | None:
        with self._lock:
            png = self._items.get(payload)
            if png is not None:
                self._items.move_to_end(payload)
            return png

    def put(self, payload: str, png: bytes) -> None:
        with self._lock:
            self._items[payload] = png
            self._items.move_to_end(payload)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def _prepare_drawing_process(app_pid: int) -> None:
    """In the drawing process, first: the lowest CPU priority, and an end with the app.

    The process shares a core with PostgreSQL's server (or another Quita process); at equal
    priority its codes held up the statements events wait for (docs/performance.md, the
    twenty-first round). Codes wait for spare time instead (a send that waits past its lease
    is not sent: `bot.outbox`)."""
    os.nice(DRAWING_NICENESS - os.nice(0))
    threading.Thread(target=_exit_with, args=(app_pid,), name="exit-with-app", daemon=True).start()


def _exit_with(app_pid: int) -> None:
    """Exit when the app's process ends. A killed app (SIGKILL, OOM) never shuts the pool
    down, and its worker would wait for work forever, keeping its forkserver alive and the
    app's stdout and stderr open (a supervisor reading them would never see them close)."""
    try:
        ended = os.pidfd_open(app_pid)
    except ProcessLookupError:
        os._exit(0)
    except OSError:  # no pidfd here (kernel < 5.3): ask every second instead
        while _alive(app_pid):
            time.sleep(1)
        os._exit(0)
    select.select([ended], [], [])  # readable once the process has ended
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class _DrawingPool:
    """The one-process pool, started on first use and restartable after `shutdown`."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._broken = False  # a worker died: threads from now on, not a respawn per QR

    def get(self) -> ProcessPoolExecutor | None:
        """The pool; None if processes are unavailable here."""
        with self._lock:
            if self._broken:
                return None
            if self._pool is None:
                try:
                    # forkserver: children start from a clean server, never from a copy of
                    # this process's threads and open sockets.
                    context = multiprocessing.get_context("forkserver")
                    self._pool = ProcessPoolExecutor(
                        max_workers=_POOL_WORKERS,
                        mp_context=context,
                        initializer=_prepare_drawing_process,
                        initargs=(os.getpid(),),
                    )
                except (OSError, ValueError, NotImplementedError) as error:
                    log.warning("QR process pool unavailable (%s); drawing in a thread", error)
                    return None
            return self._pool

    def take(self) -> ProcessPoolExecutor | None:
        """Detach the current pool for shutting down."""
        with self._lock:
            pool, self._pool = self._pool, None
            return pool

    def mark_broken(self, pool: ProcessPoolExecutor) -> None:
        """Stop using processes: the worker died (killed, or cannot import its code)."""
        with self._lock:
            self._broken = True
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False)


class _CpuTally:
    """Seconds of CPU added up from the drawing process's answers (thread-safe)."""

    def __init__(self) -> None:
        self._seconds = 0.0
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self._seconds += seconds

    @property
    def seconds(self) -> float:
        with self._lock:
            return self._seconds


_cache = _PngCache(_CACHE_SIZE)
_drawing = _DrawingPool()
_drawn_elsewhere = _CpuTally()


def drawing_seconds_elsewhere() -> float:
    """CPU seconds the drawing process has spent on this process's QR codes so far (its own
    time, which this process's `time.process_time()` does not count)."""
    return _drawn_elsewhere.seconds


def _draw_timed(payload: str) -> tuple[bytes, float]:
    """In the drawing process: `qr_png`, and the CPU seconds it took there."""
    began = time.thread_time()
    png = qr_png(payload)
    return png, time.thread_time() - began


def qr_image(payload: str) -> bytes:
    """The PNG of `payload`, drawn in the calling thread (cached)."""
    png = _cache.get(payload)
    if png is None:
        png = qr_png(payload)
        _cache.put(payload, png)
    return png


async def qr_image_async(payload: str) -> bytes:
    """The PNG of `payload`, drawn in the process pool (cached); a thread if the pool fails."""
    png = _cache.get(payload)
    if png is not None:
        return png
    drawn = await _in_drawing_process(_draw_timed, payload)
    if drawn is not None:
        png, seconds = drawn
        _drawn_elsewhere.add(seconds)
    else:
        png = await asyncio.to_thread(qr_png, payload)
    _cache.put(payload, png)
    return png


async def start() -> None:
    """Start the drawing process now, and wait until it can draw. The app and the bench
    call this on start: the process imports the app's modules first (~1 s of the other
    core's CPU), which the first agreement's debtor would otherwise wait for."""
    await _in_drawing_process(_ready)


def _ready() -> bool:
    """In the drawing process: nothing to do, it is up (unpickling this imported its code)."""
    return True


async def _in_drawing_process(function: Callable[[*_Args], _R], *arguments: *_Args) -> _R | None:
    """`function(*arguments)` in the drawing process; None when there is none (processes
    unavailable, broken, or shut down meanwhile as the app stops)."""
    pool = _drawing.get()
    if pool is None:
        return None
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, function, *arguments)
    except RuntimeError:
        return None  # shut down meanwhile (the app is stopping): the caller goes on without it
    except (BrokenExecutor, OSError) as error:
        log.warning("QR process pool failed (%s); drawing in threads", type(error).__name__)
        _drawing.mark_broken(pool)
        return None


async def shutdown() -> None:
    """Stop the drawing process (app shutdown); a later QR starts a new one."""
    pool = _drawing.take()
    if pool is not None:
        await asyncio.to_thread(pool.shutdown, wait=True)


async def materialize(message: OutboundMessage) -> OutboundMessage:
    """The message with its QR image drawn, ready for any channel's sender."""
    if message.qr_payload is None or message.image_png is not None:
        return message
    png = await qr_image_async(message.qr_payload)
    return dataclasses.replace(message, image_png=png)
