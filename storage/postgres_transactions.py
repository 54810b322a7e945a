"""PostgreSQL transactions on connections this process keeps open.

A transaction through SQLAlchemy's `AsyncConnection` costs ~170 µs of CPU on top of its
statements: a pool checkout and checkin (each a greenlet hop, events and a reset) and the
BEGIN and COMMIT bookkeeping (two more hops). At 1,000 events/s that is a sixth of a core.
Here each connection is checked out of the engine's pool once and kept; a transaction takes
an idle one (first come, first served), BEGINs on the asyncpg connection under it when its
first statement runs (`storage.connection.AsyncpgConnection`) and COMMITs or rolls back
there too. Core statements still run through the same `AsyncConnection`, inside the same
database transaction; its own bookkeeping is reset after the transaction.

A connection that broke (the server restarted, a statement was cancelled mid-flight) is
invalidated and replaced by a fresh one on the next transaction; connections are also
replaced after `recycle_seconds`, like the pool's `pool_recycle`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.connection import AsyncpgConnection

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Held:
    connection: AsyncConnection
    driver: AsyncpgConnection
    opened_at: float = field(default_factory=time.monotonic)

    @property
    def adapter(self) -> Any:
        """SQLAlchemy's DB-API adapter around the asyncpg connection."""
        return self.driver.adapter


class PostgresTransactions:
    """Up to `size` kept connections; `transaction()` hands one out for one transaction."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        size: int,
        timeout_seconds: float,
        recycle_seconds: float,
    ) -> None:
        self._engine = engine
        self._size = size
        self._timeout = timeout_seconds
        self._recycle = recycle_seconds
        self._idle: deque[_Held] = deque()
        self._waiters: deque[asyncio.Future[_Held | None]] = deque()
        self._urgent_waiters: deque[asyncio.Future[_Held | None]] = deque()  # served first
        self._open = 0  # kept connections, idle or in a transaction, or being opened

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncpgConnection]:
        """A connection inside a fresh transaction: committed on normal exit, rolled back if
        the block raised. `urgent`: when every connection is busy, take the next free one
        before the transactions already waiting (the outbox's rounds)."""
        held = await self._acquire(urgent=urgent)
        try:
            yield held.driver
        except asyncio.CancelledError:
            # A statement may have been cut off mid-flight: the connection's state is
            # unknown, so it is closed (the server rolls the transaction back).
            await self._discard(held)
            raise
        except BaseException:
            try:
                await self._finish(held, commit=False)
            except Exception as error:
                log.info("rollback failed (%s); connection closed", type(error).__name__)
                await self._discard(held)
            else:
                self._release(held)
            raise
        try:
            await self._finish(held, commit=True)
        except BaseException:
            await self._discard(held)
            raise
        self._release(held)

    async def close(self) -> None:
        """Close the idle connections (call when no transaction runs any more)."""
        while self._idle:
            held = self._idle.popleft()
            self._open -= 1
            await held.connection.close()

    async def _acquire(self, *, urgent: bool) -> _Held:
        while self._idle:
            held = self._idle.popleft()
            if time.monotonic() - held.opened_at < self._recycle:
                return held
            self._open -= 1
            await self._invalidate(held)  # closed for good, not back into the pool
        if self._open < self._size:
            return await self._open_one()
        waiter: asyncio.Future[_Held | None] = asyncio.get_running_loop().create_future()
        queue = self._urgent_waiters if urgent else self._waiters
        queue.append(waiter)
        try:
            async with asyncio.timeout(self._timeout):
                handed = await waiter
        except BaseException as error:
            with contextlib.suppress(ValueError):
                queue.remove(waiter)
            if waiter.done() and not waiter.cancelled():
                self._hand_on(waiter.result())  # handed over just now: pass it on
            if isinstance(error, TimeoutError):
                raise exc.TimeoutError(
                    f"no PostgreSQL connection free within {self._timeout:g} s "
                    f"({self._size} per process; QUITA_DATABASE_POOL_SIZE raises it)"
                ) from None
            raise
        return handed if handed is not None else await self._open_one()

    async def _open_one(self) -> _Held:
        self._open += 1
        try:
            connection = await self._engine.connect()
            return _Held(connection, await AsyncpgConnection.wrap(connection))
        except BaseException:
            self._open -= 1
            self._hand_on(None)
            raise

    async def _finish(self, held: _Held, *, commit: bool) -> None:
        """End the database transaction on the driver, then SQLAlchemy's record of it."""
        adapter = held.adapter
        transaction = adapter._transaction
        if transaction is not None:
            end = transaction.commit if commit else transaction.rollback
            try:
                await adapter._call_and_discard(end)
            except Exception as error:
                try:
                    adapter._handle_exception(error)  # raises the DB-API form of the error
                except Exception as translated:
                    dbapi_error = held.connection.dialect.loaded_dbapi.Error
                    statement = "COMMIT" if commit else "ROLLBACK"
                    raise exc.DBAPIError.instance(
                        statement, None, translated, dbapi_error
                    ) from error
        if held.connection.in_transaction():
            # A Core statement began SQLAlchemy's transaction; the database's is over, so
            # this only resets the bookkeeping (the adapter has nothing left to roll back).
            await held.connection.rollback()

    def _release(self, held: _Held) -> None:
        if held.adapter._connection.is_closed():
            self._open -= 1
            self._hand_on(None)
            return
        self._hand_on(held)

    def _hand_on(self, held: _Held | None) -> None:
        """Give `held` to the first waiter, urgent ones first (None: a slot to open a
        connection in), else keep it idle."""
        for queue in (self._urgent_waiters, self._waiters):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(held)
                    return
        if held is not None:
            self._idle.append(held)

    async def _discard(self, held: _Held) -> None:
        """Throw away a connection whose transaction could not be ended cleanly."""
        self._open -= 1
        self._hand_on(None)
        try:
            await asyncio.shield(self._invalidate(held))
        except Exception as error:  # pragma: no cover - closing a broken connection
            log.info("discarding a PostgreSQL connection failed (%s)", type(error).__name__)

    @staticmethod
    async def _invalidate(held: _Held) -> None:
        await held.connection.invalidate()
        await held.connection.close()
