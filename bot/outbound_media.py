"""Images drawn at delivery time, not inside the conversation's transaction.

A PIX QR code takes ~0.7 ms of CPU to draw (`bot.payments.qr`); doing it while holding the
chat's lock would cap throughput, so committed rows carry the payload and the outbox draws the
PNG just before handing the message to the channel. The drawing runs in a process of its own
(`bot.payments.qr_worker`): a thread would still hold the GIL and slow the event loop, a
process uses the other core. It runs at the lowest CPU priority, so it draws in the time
PostgreSQL's server leaves, and ends when its stdin does, so it never outlives the app. The
app starts it with the server (`start()`) and stops it on shutdown (`shutdown()`). The
process belongs to no event loop (a thread reads its answers and hands each to the loop that
asked), so tests and tools may run one loop after another. If it cannot start or dies, a
worker thread draws instead.

That process's CPU is not in this one's `time.process_time()`: `drawing_seconds_elsewhere()`
adds it up, so `quita bench` can show what an event's QR codes cost the other core.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import os
import subprocess
import sys
import threading
from collections import OrderedDict
from pathlib import Path
from typing import IO

import bot
from bot.channels.base import OutboundMessage
from bot.payments.qr import qr_png
from bot.payments.qr_worker import ANSWER, DRAWN, REQUEST

__all__ = [
    "DRAWING_NICENESS",
    "drawing_seconds_elsewhere",
    "materialize",
    "qr_image",
    "qr_image_async",
    "shutdown",
    "start",
]

log = logging.getLogger(__name__)

_CACHE_SIZE = 512  # a debtor's installments repeat the same few payloads
# The lowest priority: the process shares a core with PostgreSQL's server (or another Quita
# process), and at equal priority its codes held up the statements events wait for
# (docs/performance.md, the twenty-first round). A send that waits past its lease is not
# sent (`bot.outbox`).
DRAWING_NICENESS = 19
_CODE_ROOT = str(Path(bot.__file__).resolve().parents[1])  # where `bot` is imported from

_Drawn = tuple[bytes, float] | None  # the PNG and its CPU seconds; None: draw it here


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


class _DrawingProcess:
    """The `python -m bot.payments.qr_worker` child: numbered payloads go down its stdin,
    PNGs come up its stdout; a thread reads them and settles each caller's future on the
    caller's own event loop."""

    def __init__(self) -> None:
        # -P and PYTHONPATH: this very code, whatever the working directory holds
        paths = [_CODE_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter, this code's module
            [sys.executable, "-P", "-m", "bot.payments.qr_worker", str(DRAWING_NICENESS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        )
        self._numbers = itertools.count()
        self._waiting: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Future[_Drawn]]] = {}
        self._lock = threading.Lock()  # _waiting, and the ended flag, across the two threads
        self._writing = threading.Lock()  # whole frames; never held while waiting for _lock
        self._ended = False
        self._reader = threading.Thread(target=self._read_answers, name="qr-answers", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self._process.pid

    async def draw(self, payload: str) -> _Drawn:
        """The PNG and the CPU seconds it took there; None if it could not be drawn there.
        ConnectionError when the process has ended."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[_Drawn] = loop.create_future()
        body = payload.encode()
        with self._lock:
            if self._ended:
                raise ConnectionError("the QR drawing process has ended")
            number = next(self._numbers)
            self._waiting[number] = (loop, answer)
        try:
            self._send(REQUEST.pack(number, len(body)) + body)
        except (OSError, ValueError) as error:  # a broken pipe, or stdin closed meanwhile
            with self._lock:
                self._waiting.pop(number, None)
            raise ConnectionError("the QR drawing process has ended") from error
        return await answer

    def _send(self, frame: bytes) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        with self._writing:  # one frame at a time (small: the pipe takes it without waiting)
            stdin.write(frame)
            stdin.flush()

    def _read_answers(self) -> None:
        """In the reader thread, until the process's stdout ends."""
        stdout = self._process.stdout
        assert stdout is not None
        while (answer := _read_answer(stdout)) is not None:
            number, drawn = answer
            with self._lock:
                waiting = self._waiting.pop(number, None)
            if waiting is not None:
                _settle(*waiting, drawn)
        with self._lock:
            self._ended = True
            waiting_now, self._waiting = list(self._waiting.values()), {}
        for loop, future in waiting_now:
            _settle(loop, future, ConnectionError("the QR drawing process ended"))
        self._close_stdin()
        stdout.close()
        self._process.wait()  # it has ended or is ending: its stdout did

    async def ready(self) -> None:
        """Wait until the process has imported its code and answers."""
        await self.draw("")

    async def close(self) -> None:
        """Close its stdin, so it answers what it was asked and exits; wait for that."""
        self._close_stdin()
        await asyncio.to_thread(self._reader.join)

    def _close_stdin(self) -> None:
        with self._writing, contextlib.suppress(OSError):  # a broken pipe: it has ended
            if self._process.stdin is not None:
                self._process.stdin.close()


def _read_answer(stdout: IO[bytes]) -> tuple[int, _Drawn] | None:
    header = stdout.read(ANSWER.size)
    if len(header) < ANSWER.size:
        return None
    number, status, nanoseconds, size = ANSWER.unpack(header)
    png = stdout.read(size)
    if len(png) < size:
        return None
    return number, ((png, nanoseconds / 1e9) if status == DRAWN else None)


def _settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[_Drawn],
    outcome: _Drawn | BaseException,
) -> None:
    """From the reader thread: settle `future` on its loop (nothing if that loop is gone)."""

    def settle() -> None:
        if future.done():  # its caller gave up waiting
            return
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

    with contextlib.suppress(RuntimeError):  # the loop has been closed
        loop.call_soon_threadsafe(settle)


class _DrawingSlot:
    """The drawing process, started on first use; threads from the first time it cannot
    start or dies, until the next `shutdown()`."""

    def __init__(self) -> None:
        self._process: _DrawingProcess | None = None
        self._broken = False

    async def get(self) -> _DrawingProcess | None:
        """The process; None if there is none (it cannot run here, or it died). A caller
        that comes while it starts queues its code behind the start-up."""
        if self._broken:
            return None
        if self._process is not None:
            return self._process
        try:
            process = self._process = _DrawingProcess()  # a fork and exec: ~1 ms
        except OSError as error:
            self.mark_broken(f"cannot start ({type(error).__name__})")
            return None
        try:
            await process.ready()
        except ConnectionError:
            self.mark_broken("it exited on start")
            return None
        return process

    def take(self) -> _DrawingProcess | None:
        """Detach the process for shutting down, and forget a failure: the app's next start
        tries a process again."""
        process, self._process = self._process, None
        self._broken = False
        return process

    def mark_broken(self, why: str) -> None:
        if not self._broken:
            log.warning("QR drawing process: %s; drawing in threads from now on", why)
        self._broken = True
        self._process = None


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
_drawing = _DrawingSlot()
_drawn_elsewhere = _CpuTally()


def drawing_seconds_elsewhere() -> float:
    """CPU seconds the drawing process has spent on this process's QR codes so far (its own
    time, which this process's `time.process_time()` does not count)."""
    return _drawn_elsewhere.seconds


def qr_image(payload: str) -> bytes:
    """The PNG of `payload`, drawn in the calling thread (cached)."""
    png = _cache.get(payload)
    if png is None:
        png = qr_png(payload)
        _cache.put(payload, png)
    return png


async def qr_image_async(payload: str) -> bytes:
    """The PNG of `payload`, drawn in the drawing process (cached); in a thread if there is
    none, or it could not draw this one (the thread raises the real error)."""
    png = _cache.get(payload)
    if png is not None:
        return png
    drawn = None
    if (process := await _drawing.get()) is not None:
        try:
            drawn = await process.draw(payload)
        except ConnectionError:
            _drawing.mark_broken("it ended")
    if drawn is not None:
        png, seconds = drawn
        _drawn_elsewhere.add(seconds)
    else:
        png = await asyncio.to_thread(qr_png, payload)
    _cache.put(payload, png)
    return png


async def start() -> None:
    """Start the drawing process now, and wait until it can draw. The app and the bench
    call this on start, so the first agreement's debtor does not wait for it."""
    await _drawing.get()


async def shutdown() -> None:
    """Stop the drawing process (app shutdown); a later QR, or `start()`, starts a new one."""
    process = _drawing.take()
    if process is not None:
        await process.close()


async def materialize(message: OutboundMessage) -> OutboundMessage:
    """The message with its QR image drawn, ready for any channel's sender."""
    if message.qr_payload is None or message.image_png is not None:
        return message
    png = await qr_image_async(message.qr_payload)
    return dataclasses.replace(message, image_png=png)
