"""Async engines tuned for each database Quita supports.

SQLite: WAL (readers never block the writer), `synchronous=NORMAL` (durable across app
crashes, fast commits), a busy timeout instead of instant "database is locked", foreign
keys on, and SQLAlchemy emitting BEGIN itself so a write transaction can start with
`BEGIN IMMEDIATE` (no deadlock when two readers both try to upgrade to writers).
PostgreSQL: asyncpg with a connection pool sized for a few workers per process.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

WRITE_OPTION = "quita_write"
# PostgreSQL connections per process. Events wait for a free connection in FIFO order (cheap,
# no CPU); more connections than the two processes' cores can keep busy only add context
# switches and lock contention on the server. Measured with `quita bench` on 2 cores.
POSTGRES_POOL_SIZE = 8
# A burst of 1,000 debtors queues for a while at ~1,000 events/s; a queue is not a failure.
POSTGRES_POOL_TIMEOUT_S = 120
POSTGRES_RECYCLE_S = 1800
# After a rewind the WAL file is trimmed to this size: well above what it reaches between
# rewinds (a few MiB, `storage.checkpoint`), even after a burst, so the file keeps its
# working size. Trimmed below that, it grew again after every rewind, and growing a file
# allocates blocks inside commits on the event loop (10–20 ms stalls).
JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
BUSY_TIMEOUT_MS = 5000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
    # Group commit runs each event in a SAVEPOINT, and SQLite journals every page a savepoint
    # changes; past 64 KiB that journal spilled to a temporary file, a few write syscalls
    # per event on the event loop (~8 % of an event's CPU). In memory it costs nothing.
    "PRAGMA temp_store=MEMORY",
    # 64 MiB of page cache per connection (SQLite's default is 2 MiB): the pages a thousand
    # active chats touch stay in memory instead of being read again on every event.
    f"PRAGMA cache_size=-{64 * 1024}",
)


class UnsupportedDatabaseError(ValueError):
    """Only sqlite+aiosqlite and postgresql+asyncpg URLs are supported."""


def dialect_of(url: str) -> str:
    """'sqlite' or 'postgresql' for a supported URL; raises otherwise."""
    drivername = make_url(url).drivername
    if drivername == "sqlite+aiosqlite":
        return "sqlite"
    if drivername == "postgresql+asyncpg":
        return "postgresql"
    raise UnsupportedDatabaseError(
        f"unsupported database driver {drivername!r}: use sqlite+aiosqlite or postgresql+asyncpg"
    )


# SQL parameters are the debtors' names, CPFs and messages: SQLAlchemy leaves them out of its
# errors' text (and so out of any logged traceback) and out of its own logging.
HIDE_PARAMETERS = True


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An `AsyncEngine` for `url` with Quita's connection settings applied."""
    options.setdefault("hide_parameters", HIDE_PARAMETERS)
    if dialect_of(url) == "sqlite":
        engine = create_async_engine(url, **options)
        _tune_sqlite(engine)
        return engine
    # `storage.postgres_transactions` keeps up to POSTGRES_POOL_SIZE (or the configured size)
    # of these checked out for events; the rest serve migrations, reports and the like.
    settings: dict[str, Any] = {
        "pool_size": 4,
        "max_overflow": -1,
        "pool_timeout": POSTGRES_POOL_TIMEOUT_S,
        "pool_recycle": POSTGRES_RECYCLE_S,
    }
    settings.update(options)
    return create_async_engine(url, **settings)


def create_inline_sqlite_engine(url: str, *, auto_checkpoint: bool = True) -> Engine:
    """A synchronous pysqlite engine on the same file, for `storage.connection.InlineConnection`.

    `BEGIN IMMEDIATE` is attempted without waiting (busy timeout 0 for that one statement):
    if another process holds the write lock it fails at once with "database is locked" and
    the caller retries asynchronously. Every other statement keeps the 5 s busy timeout.
    Unlimited overflow, because a blocked checkout would freeze the event loop. Last in,
    first out, so the writer gets back the connection it just used: SQLite drops a
    connection's page cache when another connection wrote since, and a pool handing out its
    connections in turn made every event read its pages from the file again.
    `auto_checkpoint=False` leaves WAL checkpoints to the caller (`storage.checkpoint`).
    """
    sync_url = make_url(url).set(drivername="sqlite+pysqlite")
    engine = create_sync_engine(
        sync_url,
        pool_size=8,
        max_overflow=-1,
        pool_use_lifo=True,
        hide_parameters=HIDE_PARAMETERS,
    )
    event.listen(engine, "connect", _sqlite_connect)
    if not auto_checkpoint:
        event.listen(engine, "connect", _no_auto_checkpoint)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        dbapi = connection.connection.dbapi_connection
        if dbapi is None:  # pragma: no cover - a live connection always has one
            raise RuntimeError("SQLite connection is closed")
        dbapi.execute("PRAGMA busy_timeout=0")
        try:
            dbapi.execute("BEGIN IMMEDIATE")
        finally:
            dbapi.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (begin event)
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _no_auto_checkpoint(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")
    # The writer that restarts the WAL after a full checkpoint trims the file to this size.
    dbapi_connection.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT_BYTES}")


def _tune_sqlite(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "connect", _sqlite_connect)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
