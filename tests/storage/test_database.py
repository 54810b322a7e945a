"""Transactions: SQLite waits for another process's write lock without freezing the loop."""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy.engine import make_url

from storage.database import Database
from tests.storage.helpers import NOW


async def test_sqlite_writer_waits_for_a_foreign_lock_while_the_loop_keeps_running(
    sqlite_db: Database,
) -> None:
    path = make_url(sqlite_db.url).database
    assert path is not None
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock
    loop_ran = asyncio.Event()

    async def write() -> int:
        async with sqlite_db.transaction() as tx:
            return await tx.audit.record("system", "test", now=NOW)

    writer = asyncio.create_task(write())
    await asyncio.sleep(0)  # let the writer try BEGIN IMMEDIATE and back off
    loop_ran.set()  # the event loop was free while the writer waited
    assert not writer.done()
    other_process.execute("COMMIT")
    other_process.close()
    assert await asyncio.wait_for(writer, 5) > 0
    assert loop_ran.is_set()


async def test_readers_see_committed_writes_only(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.audit.record("system", "first", now=NOW)
        async with db.transaction(write=False) as reader:
            assert await reader.audit.recent() == []
    async with db.transaction(write=False) as reader:
        assert [e.action for e in await reader.audit.recent()] == ["first"]
