"""Group commit for the process's SQLite writer: several events, one COMMIT.

SQLite has one writer at a time, so this process's write transactions already run one after
another (an asyncio lock), and each paid for its own BEGIN and COMMIT — the COMMIT appends
every page the event touched to the WAL (~150 µs, the largest single cost of an event).
Here the writers that run in the same turn of the event loop share one database
transaction: each runs inside its own SAVEPOINT (its failure rolls back only its own work),
and a task scheduled by the group's first writer commits for all on the next turn (or the
writer that fills the group commits at once). Every member's `transaction()` returns only
after that COMMIT, so "returned" still means "durably committed"; if the COMMIT fails, every
member gets the error, as each would have on its own. A member cancelled while it waits for
the COMMIT is still committed with its group.

Alone, a writer pays one extra turn of the loop; under load, one COMMIT serves many events.
Under load (the last group had more than one writer) a group also waits `commit_delay`
(1 ms) before its COMMIT, like PostgreSQL's `commit_delay`: at 1,000 events/s the writers of
that millisecond join it, and fewer, larger commits write each shared page (the tables'
last leaves, the header page) once instead of once per event — ~10 % less CPU per event, and
less WAL to sync, for ~1 ms more latency. A writer alone never waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Generic, TypeVar

from sqlalchemy import exc
from sqlalchemy.engine import Connection

T = TypeVar("T")

MAX_GROUP = 12  # bounds the wait of the group's first member (~12 events of work)
COMMIT_DELAY_SECONDS = 0.001  # under load: how long a group waits for more writers


@dataclass(eq=False)
class _Group:
    connection: Connection
    members: int = 0
    broken: BaseException | None = None
    # One future per member that ended its savepoint, resolved by the COMMIT: a member
    # cancelled while it waits cancels only its own.
    waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def resolve(self, error: BaseException | None) -> None:
        for waiter in self.waiters:
            if waiter.done():  # cancelled
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)

    def driver(self) -> sqlite3.Connection:
        driver: sqlite3.Connection | None = self.connection.connection.driver_connection
        if driver is None:  # pragma: no cover - an open transaction always has one
            raise RuntimeError("SQLite connection is closed")
        return driver


def _commit(group: _Group) -> None:
    if group.broken is not None:
        raise group.broken
    group.connection.commit()


class GroupCommitWriter:
    """Hands out write transactions on one SQLite connection at a time, committing in groups.

    `begin` opens a write transaction (`BEGIN IMMEDIATE`, waiting for other processes);
    `after_commit` runs after each COMMIT while the writer is still held (WAL upkeep).
    """

    def __init__(
        self,
        begin: Callable[[], Awaitable[Connection]],
        after_commit: Callable[[], Awaitable[None]],
        *,
        max_group: int = MAX_GROUP,
        commit_delay: float = COMMIT_DELAY_SECONDS,
    ) -> None:
        self._begin = begin
        self._after_commit = after_commit
        self._max_group = max_group
        self._commit_delay = commit_delay
        self._last_group_size = 0
        self._lock = asyncio.Lock()
        self._group: _Group | None = None
        self._closers: set[asyncio.Task[None]] = set()

    def transaction(self) -> Member[Connection]:
        """The connection, inside this caller's savepoint of the current group:
        `async with writer.transaction() as connection:`."""
        return Member(self, _as_is)

    def transaction_as(self, wrap: Callable[[Connection], T]) -> Member[T]:
        """`transaction`, handing the caller `wrap(connection)` (e.g. a unit of work)."""
        return Member(self, wrap)

    async def _join(self) -> tuple[_Group, str]:
        """Take the writer, open a group if none is, and start this member's savepoint."""
        await self._lock.acquire()
        try:
            group = self._group
            if group is None:
                group = self._group = _Group(await self._begin())
            name = f"quita_w{group.members}"
            group.members += 1
            group.driver().execute(f"SAVEPOINT {name}")
        except BaseException:
            self._lock.release()
            raise
        return group, name

    async def _leave(
        self, group: _Group, name: str, *, failed: bool
    ) -> asyncio.Future[None] | None:
        """End the member's savepoint (undone if it `failed`), commit a full (or broken)
        group or schedule an opened one's commit, and free the writer. Returns what the
        member waits on until its group is committed (None when it failed)."""
        committed: asyncio.Future[None] | None = None
        try:
            self._end_savepoint(group, name, undo=failed)
            if not failed:
                committed = asyncio.get_running_loop().create_future()
                group.waiters.append(committed)
            if group.members >= self._max_group or group.broken is not None:
                await self._finish(group)
            elif group.members == 1:
                self._close_soon(group)
        finally:
            self._lock.release()
        return committed

    def _end_savepoint(self, group: _Group, name: str, *, undo: bool) -> None:
        """Keep (or undo) this writer's work inside the group's transaction."""
        try:
            driver = group.driver()
            if undo:
                driver.execute(f"ROLLBACK TO {name}")
            driver.execute(f"RELEASE {name}")
        except sqlite3.Error as error:  # e.g. SQLite already rolled everything back
            group.broken = error

    async def _finish(self, group: _Group) -> None:
        self._group = None
        self._last_group_size = group.members
        try:
            _commit(group)
        except BaseException as error:
            with contextlib.suppress(sqlite3.Error, exc.SQLAlchemyError):
                group.connection.rollback()
            group.connection.close()
            group.resolve(error)
            return
        group.connection.close()
        group.resolve(None)
        await self._after_commit()

    async def close(self) -> None:
        """Wait for the group being committed, if any (call before disposing the engine)."""
        while self._closers:
            await asyncio.gather(*self._closers, return_exceptions=True)

    def _close_soon(self, group: _Group) -> None:
        """Commit `group` once the writers that are ready to run now (and, under load, those
        of the next `commit_delay`) have joined it."""

        async def close() -> None:
            if self._last_group_size > 1:  # under load: let the next writers join
                await asyncio.sleep(self._commit_delay)
            async with self._lock:
                if self._group is group:
                    await self._finish(group)

        task = asyncio.get_running_loop().create_task(close())
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)


def _as_is(connection: Connection) -> Connection:
    return connection


class Member(Generic[T]):
    """One writer's turn in a group (`GroupCommitWriter.transaction`). A plain class rather
    than a generator-based context manager: every event takes one."""

    __slots__ = ("_group", "_name", "_wrap", "_writer")

    def __init__(self, writer: GroupCommitWriter, wrap: Callable[[Connection], T]) -> None:
        self._writer = writer
        self._wrap = wrap

    async def __aenter__(self) -> T:
        self._group, self._name = await self._writer._join()
        return self._wrap(self._group.connection)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        failed = exc_type is not None
        committed = await self._writer._leave(self._group, self._name, failed=failed)
        if committed is not None:
            await committed
