"""`Database` and its unit of work: one connection, one transaction, all repositories.

    async with db.transaction() as tx:
        conv = await tx.conversations.get_for_update(channel, address)
        ...
    # committed here; rolled back if the block raised

PostgreSQL: a connection the process keeps open, its transaction run straight on asyncpg
(`storage.postgres_transactions`). SQLite: a pysqlite
connection driven inline (see `storage.connection`); write transactions start with
`BEGIN IMMEDIATE` and, within one process, queue on an asyncio lock, so SQLite never has
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
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

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


class UnitOfWork:
    """The repositories of one open transaction; `connection.execute` runs ad-hoc Core SQL."""

    __slots__ = (
        "agents",
        "agreements",
        "audit",
        "connection",
        "contacts",
        "conversations",
        "debtors",
        "dialect",
        "escalations",
        "inbound",
        "invites",
        "jobs",
        "messages",
        "outbox",
        "replies",
        "sessions",
    )

    def __init__(self, connection: Executor, dialect: str) -> None:
        self.connection = connection
        self.dialect = dialect
        self.conversations: interfaces.Conversations = SqlConversations(connection, dialect)
        self.messages: interfaces.Messages = SqlMessages(connection, dialect)
        self.inbound: interfaces.InboundLog = SqlInbound(connection, dialect)
        self.outbox: interfaces.OutboxQueue = SqlOutbox(connection, dialect)
        self.replies: interfaces.Replies = SqlReplies(connection, dialect)
        self.debtors: interfaces.Debtors = SqlDebtors(connection, dialect)
        self.contacts: interfaces.Contacts = SqlContacts(connection, dialect)
        self.agreements: interfaces.Agreements = SqlAgreements(connection, dialect)
        self.escalations: interfaces.Escalations = SqlEscalations(connection, dialect)
        self.jobs: interfaces.Jobs = SqlJobs(connection, dialect)
        self.invites: interfaces.Invites = SqlInvites(connection, dialect)
        self.agents: interfaces.Agents = SqlAgents(connection, dialect)
        self.sessions: interfaces.Sessions = SqlSessions(connection, dialect)
        self.audit: interfaces.Audit = SqlAudit(connection, dialect)


def _sqlite_unit_of_work(connection: Connection) -> UnitOfWork:
    return UnitOfWork(InlineConnection(connection), "sqlite")


def _is_busy(error: BaseException) -> bool:
    return "locked" in str(error) or "busy" in str(error)


class Database:
    """Owns the engines; hands out transactions. Call `dispose()` when done.

    `engine` is an `AsyncEngine` on the same database for callers that need one (it is not
    used by `transaction()` on SQLite).
    """

    def __init__(self, url: str, *, pool_size: int | None = None) -> None:
        """`pool_size`: PostgreSQL connections (default `storage.engine.POSTGRES_POOL_SIZE`)."""
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
            if path is not None:
                self._checkpointer = WalCheckpointer(path)
            self._inline = create_inline_sqlite_engine(
                url, auto_checkpoint=self._checkpointer is None
            )

    def transaction(
        self, *, write: bool = True, retryable: bool = False
    ) -> AbstractAsyncContextManager[UnitOfWork]:
        """One transaction; commits on normal exit, rolls back on an exception.

        `write=False` is for read-only work: on SQLite it starts a deferred transaction and
        does not queue behind writers; it must not write. `retryable=True`: the caller runs
        its work again when it raises `GroupRolledBackError` (SQLite: it gets no savepoint, see
        `storage.group_commit`; PostgreSQL never raises it).
        """
        if write and self._sqlite_writer is not None:
            return self._sqlite_writer.transaction_as(_sqlite_unit_of_work, retryable=retryable)
        return self._transaction(write=write)

    @asynccontextmanager
    async def _transaction(self, *, write: bool) -> AsyncIterator[UnitOfWork]:
        if self._postgres is not None:
            async with self._postgres.transaction() as connection:
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
