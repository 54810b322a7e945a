"""What repositories need from a connection: Core statements, and prepared hot statements.

`execute` runs any Core statement through SQLAlchemy. `fetch`, `run` and `run_many` run a
`storage.prepared.Prepared` statement straight on the driver, inside the same transaction —
the conversation path uses them for the handful of statements every event runs.

PostgreSQL: `AsyncpgConnection` wraps SQLAlchemy's `AsyncConnection` and the asyncpg
connection under it. SQLite: `InlineConnection`, a plain pysqlite connection called directly
on the event loop. SQLite is an in-process library whose statements take microseconds, while
aiosqlite's hand-off to a worker thread costs hundreds of microseconds per statement — too
slow for 1,000 events/s. The only call that could wait (`BEGIN IMMEDIATE` while another
process writes) is retried with `asyncio.sleep` instead of blocking the loop (see
`storage.database`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy.engine import Connection, CursorResult, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import Executable
from sqlalchemy.util.typing import TupleAny

from storage.prepared import Compiled, Prepared

Params = Mapping[str, Any]


class Executor(Protocol):
    @property
    def dialect(self) -> Dialect: ...

    async def execute(
        self, statement: Executable, parameters: Any = None
    ) -> CursorResult[*TupleAny]: ...

    async def fetch(self, statement: Prepared, params: Params) -> list[dict[str, Any]]:
        """Rows of a SELECT (or of a DML statement's RETURNING), as dicts."""
        ...

    async def fetch_alone(self, statement: Prepared, params: Params) -> list[dict[str, Any]]:
        """`fetch` for a statement that is atomic by itself and is the transaction's first
        or last: when nothing ran before it in this transaction, it runs on its own, outside
        one (PostgreSQL: no BEGIN and COMMIT round trips); else inside, like `fetch`."""
        ...

    async def run(self, statement: Prepared, params: Params) -> int:
        """A DML statement without RETURNING; the number of rows it touched."""
        ...

    async def insert(self, statement: Prepared, params: Params) -> int | None:
        """An INSERT of one row built with `storage.repositories.base.with_new_id`: the new
        row's id, or None when its conflict clause skipped the row."""
        ...

    async def run_many(self, statement: Prepared, rows: Sequence[Params]) -> None:
        """The same DML statement once per parameter set, in one driver call."""
        ...


class InlineConnection:
    """Async face of a synchronous SQLAlchemy connection (SQLite only)."""

    __slots__ = ("_driver", "sync")

    def __init__(self, sync: Connection) -> None:
        self.sync = sync
        driver: sqlite3.Connection | None = sync.connection.driver_connection
        if driver is None:  # pragma: no cover - a connection in use always has one
            raise RuntimeError("SQLite connection is closed")
        self._driver = driver  # the same for the transaction's life: looked up once

    @property
    def dialect(self) -> Dialect:
        return self.sync.dialect

    async def execute(
        self, statement: Executable, parameters: Any = None
    ) -> CursorResult[*TupleAny]:
        return self.sync.execute(statement, parameters)

    async def fetch(self, statement: Prepared, params: Params) -> list[dict[str, Any]]:
        compiled = statement.compiled(self.sync.dialect)
        arguments = compiled.arguments(params)
        try:
            raw = self._driver.execute(compiled.sql, arguments)
            rows = raw.fetchall()
        except sqlite3.Error as error:
            raise compiled.driver_error(error, sqlite3.Error) from error
        return [compiled.row(row) for row in rows]

    async def fetch_alone(self, statement: Prepared, params: Params) -> list[dict[str, Any]]:
        return await self.fetch(statement, params)  # a SQLite transaction costs no round trip

    async def run(self, statement: Prepared, params: Params) -> int:
        rowcount: int = self._execute(statement, params).rowcount
        return rowcount

    async def insert(self, statement: Prepared, params: Params) -> int | None:
        # The driver reports the new rowid; RETURNING would cost SQLite ~12 µs a row.
        cursor = self._execute(statement, params)
        return cursor.lastrowid if cursor.rowcount == 1 else None

    def _execute(self, statement: Prepared, params: Params) -> sqlite3.Cursor:
        """Run a statement that returns no rows, its errors as SQLAlchemy raises them."""
        compiled = statement.compiled(self.sync.dialect)
        arguments = compiled.arguments(params)
        try:
            return self._driver.execute(compiled.sql, arguments)
        except sqlite3.Error as error:
            raise compiled.driver_error(error, sqlite3.Error) from error

    async def run_many(self, statement: Prepared, rows: Sequence[Params]) -> None:
        compiled = statement.compiled(self.sync.dialect)
        arguments = [compiled.arguments(row) for row in rows]
        try:
            self._driver.executemany(compiled.sql, arguments)
        except sqlite3.Error as error:
            raise compiled.driver_error(error, sqlite3.Error) from error


class AsyncpgConnection:
    """SQLAlchemy's `AsyncConnection` plus direct use of the asyncpg connection under it.

    SQLAlchemy's asyncpg adapter opens the database transaction lazily, on the first
    statement it runs; a prepared statement may come first, so it opens it the same way
    (through the adapter, which then commits or rolls back as usual).
    """

    __slots__ = ("_adapter", "_async")

    def __init__(self, connection: AsyncConnection, adapter: Any) -> None:
        self._async = connection
        self._adapter = adapter

    @classmethod
    async def wrap(cls, connection: AsyncConnection) -> AsyncpgConnection:
        # The checked-out connection's DB-API adapter, read without a greenlet hop
        # (`get_raw_connection()` would cost one per transaction).
        sync = connection.sync_connection
        if sync is None:  # pragma: no cover - wrap() is only called on a started connection
            raise RuntimeError("the connection is not started")
        return cls(connection, sync.connection.dbapi_connection)

    @property
    def dialect(self) -> Dialect:
        return self._async.dialect

    @property
    def adapter(self) -> Any:
        """SQLAlchemy's DB-API adapter around the asyncpg connection (its transaction)."""
        return self._adapter

    async def execute(
        self, statement: Executable, parameters: Any = None
    ) -> CursorResult[*TupleAny]:
        return await self._async.execute(statement, parameters)

    async def _call(
        self, compiled: Compiled, method: str, *arguments: Any, alone: bool = False
    ) -> Any:
        """`asyncpg.Connection.<method>(sql, *arguments)` inside the transaction (`alone`:
        outside one, if it has not begun)."""
        adapter = self._adapter
        try:
            if adapter._transaction is None and not alone:
                async with adapter._execute_mutex:
                    if adapter._transaction is None:
                        await adapter._start_transaction()
            return await getattr(adapter._connection, method)(compiled.sql, *arguments)
        except Exception as error:
            try:
                adapter._handle_exception(error)  # raises the DB-API form of asyncpg's error
            except Exception as translated:
                dbapi_error = self._async.dialect.loaded_dbapi.Error
                raise compiled.driver_error(translated, dbapi_error) from error
            raise  # pragma: no cover - _handle_exception always raises

    async def fetch(self, statement: Prepared, params: Params) -> list[dict[str, Any]]:
        compiled = statement.compiled(self._async.dialect)
        rows = await self._call(compiled, "fetch", *compiled.arguments(params))
        return [compiled.row(row) for row in rows]

    async def fetch_alone(self, statement: Prepared, params: Params) -> list[dict[str, Any]]:
        compiled = statement.compiled(self._async.dialect)
        rows = await self._call(compiled, "fetch", *compiled.arguments(params), alone=True)
        return [compiled.row(row) for row in rows]

    async def run(self, statement: Prepared, params: Params) -> int:
        compiled = statement.compiled(self._async.dialect)
        status: str = await self._call(compiled, "execute", *compiled.arguments(params))
        # asyncpg answers with the command tag, e.g. "UPDATE 1" or "INSERT 0 1".
        count = status.rsplit(" ", 1)[-1]
        return int(count) if count.isdigit() else 0

    async def insert(self, statement: Prepared, params: Params) -> int | None:
        rows = await self.fetch(statement, params)  # the statement returns the id
        return int(rows[0]["id"]) if rows else None

    async def run_many(self, statement: Prepared, rows: Sequence[Params]) -> None:
        compiled = statement.compiled(self._async.dialect)
        await self._call(compiled, "executemany", [compiled.arguments(row) for row in rows])
