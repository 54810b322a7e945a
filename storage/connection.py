"""The one thing repositories need from a connection: `await conn.execute(statement)`.

PostgreSQL uses SQLAlchemy's `AsyncConnection` (asyncpg). SQLite uses `InlineConnection`:
a plain pysqlite connection called directly on the event loop. SQLite is an in-process
library whose statements take microseconds, while aiosqlite's hand-off to a worker thread
costs hundreds of microseconds per statement — too slow for 1,000 events/s. The only call
that could wait (`BEGIN IMMEDIATE` while another process writes) is retried with
`asyncio.sleep` instead of blocking the loop (see `storage.database`).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.sql.base import Executable
from sqlalchemy.util.typing import TupleAny


class Executor(Protocol):
    @property
    def dialect(self) -> Dialect: ...

    async def execute(
        self, statement: Executable, parameters: Any = None
    ) -> CursorResult[*TupleAny]: ...


class InlineConnection:
    """Async face of a synchronous SQLAlchemy connection (SQLite only)."""

    __slots__ = ("sync",)

    def __init__(self, sync: Connection) -> None:
        self.sync = sync

    @property
    def dialect(self) -> Dialect:
        return self.sync.dialect

    async def execute(
        self, statement: Executable, parameters: Any = None
    ) -> CursorResult[*TupleAny]:
        return self.sync.execute(statement, parameters)
