"""An asyncio lock whose urgent waiters go before the others.

SQLite has one writer per process, and under overload hundreds of events wait for it. The
outbox's round records sent replies and claims committed ones in a write transaction of its
own. In a first-come queue that round waited behind every queued event, so committed replies
sat in the outbox for seconds while new events committed more. The eighteenth round's bench
measured this: 14,500 of 30,000 replies were still queued when a closed-loop run ended. The
outbox's rounds therefore ask to go first: a debtor waits for the reply, not for the commit.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType

__all__ = ["PriorityLock"]


class PriorityLock:
    """Like `asyncio.Lock`: first come, first served, and no caller takes it past a waiter.
    `acquire(urgent=True)` queues after earlier urgent callers but before every other one.

    `release` hands the lock straight to the next waiter, so while it is unlocked nobody
    waits, and `acquire` takes a free lock without queueing.
    """

    __slots__ = ("_locked", "_ordinary", "_urgent")

    def __init__(self) -> None:
        self._locked = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._ordinary: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        return self._locked

    async def acquire(self, *, urgent: bool = False) -> None:
        if not self._locked:
            self._locked = True
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._ordinary
        queue.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over just as this caller was cancelled: pass it on
            else:
                queue.remove(waiter)
            raise

    def release(self) -> None:
        """Hand the lock to the next waiter, urgent ones first; unlock if none waits."""
        if not self._locked:
            raise RuntimeError("release of an unlocked PriorityLock")
        for queue in (self._urgent, self._ordinary):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return
        self._locked = False

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
