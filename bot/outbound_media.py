"""Images drawn at delivery time, not inside the conversation's transaction.

A PIX QR code takes ~3.5 ms of CPU to draw (`bot.payments.qr`); doing it while holding the
chat's lock would cap throughput, so committed rows carry the payload and the outbox draws the
PNG just before handing the message to the channel. The drawing runs in a one-process
pool: a thread would still hold the GIL and slow the event loop, a process uses the other
core. The pool starts on the first QR and `shutdown()` (called when the app stops) ends it;
if it cannot run (no fork/spawn, broken or shut down), a worker thread draws instead.

That process's CPU is not in this one's `time.process_time()`: `drawing_seconds_elsewhere()`
adds it up, so `quita bench` can show what an event's QR codes cost the other core.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import threading
import time
from collections import OrderedDict
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor

from bot.channels.base import OutboundMessage
from bot.payments.qr import qr_png

__all__ = ["drawing_seconds_elsewhere", "materialize", "qr_image", "qr_image_async", "shutdown"]

log = logging.getLogger(__name__)

_CACHE_SIZE = 512  # a debtor's installments repeat the same few payloads
_POOL_WORKERS = 1  # the other core; the event loop keeps this one


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
                    self._pool = ProcessPoolExecutor(max_workers=_POOL_WORKERS, mp_context=context)
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
    pool = _drawing.get()
    if pool is not None:
        try:
            png, seconds = await asyncio.get_running_loop().run_in_executor(
                pool, _draw_timed, payload
            )
            _drawn_elsewhere.add(seconds)
        except RuntimeError:
            pass  # shut down meanwhile (the app is stopping): the send still completes
        except (BrokenExecutor, OSError) as error:
            log.warning("QR process pool failed (%s); drawing in threads", type(error).__name__)
            _drawing.mark_broken(pool)
    if png is None:
        png = await asyncio.to_thread(qr_png, payload)
    _cache.put(payload, png)
    return png


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
