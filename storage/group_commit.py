"""Group commit for the process's SQLite writer: several events, one COMMIT.

SQLite has one writer at a time, so this process's write transactions already run one after
another (`storage.priority_semaphore`), and each paid for its own BEGIN and COMMIT — the
COMMIT appends every page the event touched to the WAL (~150 µs, the largest single cost of
an event).
Here the writers that run in the same turn of the event loop share one database
transaction: each runs inside its own SAVEPOINT (its failure rolls back only its own work)
unless it can run again (below), and a task scheduled by the group's first writer commits
for all on the next turn (or the writer that fills the group commits at once). Every
member's `transaction()` returns only after that COMMIT, so "returned" still means "durably
committed"; if the COMMIT fails, every member gets the error, as each would have on its own.
A member cancelled while it waits for the COMMIT is still committed with its group.

Alone, a writer pays one extra turn of the loop; under load, one COMMIT serves many events.
Under load (the last group had more than one writer) a group also waits `commit_delay`
(1 ms) before its COMMIT, like PostgreSQL's `commit_delay`: at 1,000 events/s the writers of
that millisecond join it, and fewer, larger commits write each shared page (the tables'
last leaves, the header page) once instead of once per event — ~10 % less CPU per event, and
less WAL to sync, for ~1 ms more latency. A writer alone never waits.

A savepoint is not free: SQLite copies every page a savepoint changes, the first time it
does, into the savepoint's journal, and an event touches ~15 pages (~3 % of an event's CPU,
and longer turns holding the writer). So a writer that can run its work again
(`transaction(retryable=True)`: the conversation service's events, the outbox's rounds) gets
none. If such a writer fails, the work of every retryable writer since the last one with a
savepoint goes with it (`ROLLBACK TO` a checkpoint kept after that writer, or the whole
transaction when there is none). Those writers get `GroupRolledBackError` instead of a
commit: nothing of theirs was stored, and they run again, with a savepoint, so that another
writer's failure cannot undo them twice. The failing writer gets its own error, as before.
Failures are rare (a bug, a full disk), so the savepoints saved on every event outweigh the
work done twice when one happens.
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

from storage.priority_semaphore import PrioritySemaphore

T = TypeVar("T")

__all__ = ["GroupCommitWriter", "GroupRolledBackError"]

MAX_GROUP = 12  # bounds the wait of the group's first member (~12 events of work)
COMMIT_DELAY_SECONDS = 0.001  # under load: how long a group waits for more writers


class GroupRolledBackError(Exception):
    """This writer's work was undone, not stored, because another writer of its group failed
    (it ran without a savepoint: `transaction(retryable=True)`). Run it again."""

    def __init__(self) -> None:
        super().__init__("another writer of this commit group failed; run the work again")


CHECKPOINT = "quita_kept"
"""Savepoint after the last member that had one: a retryable failure rolls back to it."""


@dataclass(eq=False)
class _Group:
    connection: Connection
    members: int = 0
    broken: BaseException | None = None
    # One future per member that ended its work, resolved by the COMMIT: a member cancelled
    # while it waits cancels only its own.
    waiters: list[asyncio.Future[None]] = field(default_factory=list)
    # The waiters of retryable members whose work a retryable member's failure would undo:
    # those since the checkpoint (or since BEGIN, with none).
    exposed: list[asyncio.Future[None]] = field(default_factory=list)
    checkpoint: bool = False  # CHECKPOINT is open: the work before it is safe
    kept_since_checkpoint: bool = False  # a savepoint member finished after it (or with none)

    def resolve(self, error: BaseException | None) -> None:
        for waiter in self.waiters:
            if waiter.done():  # cancelled
                continue
            if error is None:
                waiter.set_result(None)
            elif isinstance(error, GroupRolledBackError):
                waiter.set_exception(GroupRolledBackError())  # one per waiter: own traceback
            else:
                waiter.set_exception(error)

    def keep_earlier_work(self) -> None:
        """Before a retryable member: if a savepoint member finished since the checkpoint (or
        since BEGIN), move the checkpoint here, out of the new member's reach."""
        if not self.kept_since_checkpoint:
            return
        driver = self.driver()
        if self.checkpoint:
            driver.execute(f"RELEASE {CHECKPOINT}")
        driver.execute(f"SAVEPOINT {CHECKPOINT}")
        self.checkpoint, self.kept_since_checkpoint = True, False
        self.exposed.clear()  # their work is before the checkpoint now

    def undo_exposed(self) -> None:
        """A retryable member failed: roll back to the checkpoint and tell the members undone,
        or with none (every member so far was retryable) break the group, rolled back whole."""
        if not self.checkpoint:
            self.broken = GroupRolledBackError()
            return
        try:
            self.driver().execute(f"ROLLBACK TO {CHECKPOINT}")
        except sqlite3.Error as error:
            self.broken = error
            return
        exposed, self.exposed = set(self.exposed), []
        self.waiters = [waiter for waiter in self.waiters if waiter not in exposed]
        for waiter in exposed:
            if not waiter.done():
                waiter.set_exception(GroupRolledBackError())

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
        self._lock = PrioritySemaphore(1)
        self._group: _Group | None = None
        self._closers: set[asyncio.Task[None]] = set()

    def transaction(self, *, retryable: bool = False, urgent: bool = False) -> Member[Connection]:
        """The connection, inside this caller's savepoint of the current group:
        `async with writer.transaction() as connection:`. `retryable`: no savepoint; the
        caller runs its work again on `GroupRolledBackError` (see the module docstring).
        `urgent`: take the writer before the writers already waiting (the outbox's rounds,
        `storage.priority_semaphore`)."""
        return Member(self, _as_is, retryable=retryable, urgent=urgent)

    def transaction_as(
        self, wrap: Callable[[Connection], T], *, retryable: bool = False, urgent: bool = False
    ) -> Member[T]:
        """`transaction`, handing the caller `wrap(connection)` (e.g. a unit of work)."""
        return Member(self, wrap, retryable=retryable, urgent=urgent)

    async def _join(self, *, retryable: bool, urgent: bool) -> tuple[_Group, str | None]:
        """Take the writer, open a group if none is, and start this member's savepoint (a
        retryable member: the checkpoint that keeps earlier members' work out of its reach)."""
        await self._lock.acquire(urgent=urgent)
        try:
            group = self._group
            if group is None:
                group = self._group = _Group(await self._begin())
            name: str | None = None
            if retryable:
                group.keep_earlier_work()
            else:
                name = f"quita_w{group.members}"
                group.driver().execute(f"SAVEPOINT {name}")
            group.members += 1
        except BaseException:
            self._lock.release()
            raise
        return group, name

    async def _leave(
        self, group: _Group, name: str | None, *, failed: bool
    ) -> asyncio.Future[None] | None:
        """End the member's work: its savepoint (undone if it `failed`), or for a retryable
        member that failed, the exposed work with it. Then commit a full (or broken) group or
        schedule an opened one's commit, and free the writer. Returns what the member waits
        on until its group is committed (None when it failed)."""
        committed: asyncio.Future[None] | None = None
        try:
            if name is not None:
                self._end_savepoint(group, name, undo=failed)
                group.kept_since_checkpoint = group.kept_since_checkpoint or not failed
            elif failed:
                group.undo_exposed()
            if not failed:
                committed = asyncio.get_running_loop().create_future()
                group.waiters.append(committed)
                if name is None:
                    group.exposed.append(committed)
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

    __slots__ = ("_group", "_name", "_retryable", "_urgent", "_wrap", "_writer")

    def __init__(
        self,
        writer: GroupCommitWriter,
        wrap: Callable[[Connection], T],
        *,
        retryable: bool,
        urgent: bool,
    ) -> None:
        self._writer = writer
        self._wrap = wrap
        self._retryable = retryable
        self._urgent = urgent

    async def __aenter__(self) -> T:
        self._group, self._name = await self._writer._join(
            retryable=self._retryable, urgent=self._urgent
        )
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
