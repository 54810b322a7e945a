"""An asyncio semaphore that serves its waiters in order, urgent ones first.

Two uses, both about who waits behind whom under overload:

- SQLite's writer (one slot). The outbox's round records sent replies and claims committed
  ones in a write transaction. In a first-come queue that round waited behind every queued
  event, so committed replies sat in the outbox for seconds while new events committed more
  (eighteenth round: 14,500 of 30,000 replies still queued when a closed-loop run ended).
  The outbox's rounds ask to go first: a debtor waits for the reply, not for the commit.
- The events the service works on at once (`bot.service`, many slots), in arrival order, so
  that a chat's events still reach its lock in the order they came.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType

__all__ = ["PrioritySemaphore"]


class PrioritySemaphore:
    """At most `slots` holders at once. Waiters are served first come, first served, and
    nobody takes a slot past a waiter; `acquire(urgent=True)` queues after earlier urgent
    callers but before every other one.

    `release` hands its slot straight to the next waiter, so while a slot is free nobody
    waits, and `acquire` takes a free slot without queueing.
    """

    __slots__ = ("_free", "_ordinary", "_slots", "_urgent")

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"a semaphore needs at least one slot, not {slots}")
        self._slots = self._free = slots
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._ordinary: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        """No slot is free: the next caller waits."""
        return self._free == 0

    async def acquire(self, *, urgent: bool = False) -> None:
        if self._free:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._ordinary
        queue.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot just as this caller was cancelled: pass it on
            else:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        """Hand the slot to the next waiter, urgent ones first; free it if none waits."""
        if self._free == self._slots:
            raise RuntimeError("release of a PrioritySemaphore nobody holds")
        for queue in (self._urgent, self._ordinary):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._free += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
