"""`Database` and its unit of work: one connection, one transaction, all repositories.

    async with db.transaction() as tx:
        conv = await tx.conversations.get_for_update(channel, address)
        ...
    # committed here; rolled back if the block raised

PostgreSQL: a connection the process keeps open, its transaction run straight on asyncpg
(`storage.postgres_transactions`). SQLite: a pysqlite
connection driven inline (see `storage.connection`); write transactions start with
`BEGIN IMMEDIATE` and, within one process, queue on a lock (the outbox's first), so SQLite never has
to arbitrate between this process's own writers; queued writers share one COMMIT, each in
its own savepoint, or with none when it can run again (`storage.group_commit`). Automatic
WAL checkpoints are off for those connections (they would run inside a commit, on the event
loop); `WalCheckpointer` copies the WAL back into the database file from a worker thread
instead.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy import exc, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import interfaces
from storage.checkpoint import WalCheckpointer
from storage.connection import Executor, InlineConnection
from storage.engine import (
    BUSY_TIMEOUT_MS,
    POSTGRES_POOL_SIZE,
    POSTGRES_POOL_TIMEOUT_S,
    POSTGRES_RECYCLE_S,
    WRITE_OPTION,
    create_engine,
    create_inline_sqlite_engine,
    dialect_of,
)
from storage.group_commit import GroupCommitWriter
from storage.postgres_transactions import PostgresTransactions
from storage.repositories.agents import SqlAgents, SqlSessions
from storage.repositories.agreements import SqlAgreements
from storage.repositories.audit import SqlAudit
from storage.repositories.base import Repository
from storage.repositories.contacts import SqlContacts
from storage.repositories.conversations import SqlConversations
from storage.repositories.debtors import SqlDebtors
from storage.repositories.escalations import SqlEscalations
from storage.repositories.inbound import SqlInbound
from storage.repositories.invites import SqlInvites
from storage.repositories.jobs import SqlJobs
from storage.repositories.messages import SqlMessages
from storage.repositories.outbox import SqlOutbox
from storage.repositories.replies import SqlReplies

# `UnitOfWork`'s repositories, by attribute name.
_REPOSITORIES: Mapping[str, type[Repository]] = {
    "conversations": SqlConversations,
    "messages": SqlMessages,
    "inbound": SqlInbound,
    "outbox": SqlOutbox,
    "replies": SqlReplies,
    "debtors": SqlDebtors,
    "contacts": SqlContacts,
    "agreements": SqlAgreements,
    "escalations": SqlEscalations,
    "jobs": SqlJobs,
    "invites": SqlInvites,
    "agents": SqlAgents,
    "sessions": SqlSessions,
    "audit": SqlAudit,
}


class UnitOfWork:
    """The repositories of one open transaction; `connection.execute` runs ad-hoc Core SQL.

    Each repository is made on first use: an event's transaction uses three or four of the
    fourteen, and making them all cost every event ~1 % of its CPU.
    """

    __slots__ = ("connection", "dialect", *_REPOSITORIES)

    conversations: interfaces.Conversations
    messages: interfaces.Messages
    inbound: interfaces.InboundLog
    outbox: interfaces.OutboxQueue
    replies: interfaces.Replies
    debtors: interfaces.Debtors
    contacts: interfaces.Contacts
    agreements: interfaces.Agreements
    escalations: interfaces.Escalations
    jobs: interfaces.Jobs
    invites: interfaces.Invites
    agents: interfaces.Agents
    sessions: interfaces.Sessions
    audit: interfaces.Audit

    def __init__(self, connection: Executor, dialect: str) -> None:
        self.connection = connection
        self.dialect = dialect

    if not TYPE_CHECKING:  # (a misspelt repository stays a type error)

        def __getattr__(self, name: str) -> Repository:
            """Only for a repository's first use: after it, its slot answers."""
            repository_class = _REPOSITORIES.get(name)
            if repository_class is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            repository = repository_class(self.connection, self.dialect)
            setattr(self, name, repository)
            return repository


def _sqlite_unit_of_work(connection: Connection) -> UnitOfWork:
    return UnitOfWork(InlineConnection(connection), "sqlite")


def _is_busy(error: BaseException) -> bool:
    return "locked" in str(error) or "busy" in str(error)


class Database:
    """Owns the engines; hands out transactions. Call `dispose()` when done.

    `engine` is an `AsyncEngine` on the same database for callers that need one (it is not
    used by `transaction()` on SQLite).
    """

    def __init__(self, url: str, *, pool_size: int | None = None, checkpoints: bool = True) -> None:
        """`pool_size`: PostgreSQL connections (default `storage.engine.POSTGRES_POOL_SIZE`).
        `checkpoints=False` (SQLite): the WAL is never copied back nor rewound, so it keeps
        every commit's pages, for tools that read it (`scripts/wal_pages.py`); it grows
        without bound."""
        self.url = url
        self.dialect = dialect_of(url)
        self.engine: AsyncEngine = create_engine(url)
        self._postgres: PostgresTransactions | None = None
        self._inline: Engine | None = None
        self._sqlite_writer: GroupCommitWriter | None = None
        self._checkpointer: WalCheckpointer | None = None
        if self.dialect == "postgresql":
            self._postgres = PostgresTransactions(
                self.engine,
                size=pool_size or POSTGRES_POOL_SIZE,
                timeout_seconds=POSTGRES_POOL_TIMEOUT_S,
                recycle_seconds=POSTGRES_RECYCLE_S,
            )
        if self.dialect == "sqlite":
            self._sqlite_writer = GroupCommitWriter(self._begin_write, self._after_commit)
            path = WalCheckpointer.database_path(url)
            if path is not None and checkpoints:
                self._checkpointer = WalCheckpointer(path)
            self._inline = create_inline_sqlite_engine(
                url, auto_checkpoint=checkpoints and self._checkpointer is None
            )

    def transaction(
        self, *, write: bool = True, retryable: bool = False, urgent: bool = False
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        """One transaction; commits on normal exit, rolls back on an exception.

        `write=False` is for read-only work: on SQLite it starts a deferred transaction and
        does not queue behind writers; it must not write. `retryable=True`: the caller runs
        its work again when it raises `GroupRolledBackError` (SQLite: it gets no savepoint, see
        `storage.group_commit`; PostgreSQL never raises it). `urgent=True`: go before the
        transactions already waiting for the writer (SQLite) or a connection (PostgreSQL) —
        the outbox's rounds, so that under overload committed replies are not held back by
        every queued event (`storage.priority_semaphore`).
        """
        if write and self._sqlite_writer is not None:
            return self._sqlite_writer.transaction_as(
                _sqlite_unit_of_work, retryable=retryable, urgent=urgent
            )
        return self._transaction(write=write, urgent=urgent)

    @asynccontextmanager
    async def _transaction(self, *, write: bool, urgent: bool) -> AsyncIterator[UnitOfWork]:
        if self._postgres is not None:
            async with self._postgres.transaction(urgent=urgent) as connection:
                yield UnitOfWork(connection, self.dialect)
            return
        assert self._inline is not None
        reader = await self._begin_sqlite(self._inline, write=False)
        try:
            yield _sqlite_unit_of_work(reader)
        except BaseException:
            reader.rollback()
            raise
        else:
            reader.commit()
        finally:
            reader.close()

    async def _begin_write(self) -> Connection:
        assert self._inline is not None
        return await self._begin_sqlite(self._inline, write=True)

    async def _after_commit(self) -> None:
        """WAL upkeep after each SQLite commit, while this process's writer is still held."""
        checkpointer = self._checkpointer
        if checkpointer is None:
            return
        checkpointer.committed()
        if checkpointer.restart_due:
            await checkpointer.restart()

    async def _begin_sqlite(self, engine: Engine, *, write: bool) -> Connection:
        """Begin, waiting asynchronously (up to the busy timeout) for another process's lock."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        delay = 0.001
        while True:
            connection = engine.connect()
            if write:
                connection = connection.execution_options(**{WRITE_OPTION: True})
            try:
                connection.begin()
            except (sqlite3.OperationalError, exc.OperationalError) as error:
                connection.close()
                if not _is_busy(error) or time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)
            else:
                return connection

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query (readiness checks)."""
        async with self.transaction(write=False) as tx:
            await tx.connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._sqlite_writer is not None:
            await self._sqlite_writer.close()
        if self._checkpointer is not None:
            await self._checkpointer.close()
        if self._postgres is not None:
            await self._postgres.close()
        await self.engine.dispose()
        if self._inline is not None:
            self._inline.dispose()
