"""SQLite group commit: writers share a COMMIT, but each keeps its own all-or-nothing.

What callers rely on: when `transaction()` returns, the work is committed (another process
sees it); a writer that fails loses only its own work, never its group's; a writer cancelled
while it waits does not strand the others.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy.engine import make_url

from storage.database import Database
from tests.storage.helpers import NOW


async def _write(db: Database, action: str, *, fail: bool = False) -> None:
    async with db.transaction() as tx:
        await tx.audit.record("system", action, now=NOW)
        if fail:
            raise RuntimeError(f"{action} failed")


def _seen_by_another_process(db: Database) -> set[str]:
    path = make_url(db.url).database
    assert path is not None
    other = sqlite3.connect(path)
    try:
        return {row[0] for row in other.execute("SELECT action FROM audit_log")}
    finally:
        other.close()


async def test_a_returned_writer_is_visible_to_another_process(sqlite_db: Database) -> None:
    await _write(sqlite_db, "alone")

    assert _seen_by_another_process(sqlite_db) == {"alone"}


async def test_a_failing_writer_loses_only_its_own_work(sqlite_db: Database) -> None:
    writers = [_write(sqlite_db, f"w{n}", fail=n == 4) for n in range(10)]

    outcomes = await asyncio.gather(*writers, return_exceptions=True)

    assert [type(o).__name__ for o in outcomes].count("RuntimeError") == 1
    assert isinstance(outcomes[4], RuntimeError)
    assert _seen_by_another_process(sqlite_db) == {f"w{n}" for n in range(10) if n != 4}


async def test_many_concurrent_writers_are_all_committed_once(sqlite_db: Database) -> None:
    await asyncio.gather(*(_write(sqlite_db, f"w{n}") for n in range(100)))

    async with sqlite_db.transaction(write=False) as tx:
        recent = await tx.audit.recent(limit=1000)
    assert sorted(row.action for row in recent) == sorted(f"w{n}" for n in range(100))


async def test_a_cancelled_writer_does_not_strand_the_group(sqlite_db: Database) -> None:
    first = asyncio.create_task(_write(sqlite_db, "cancelled"))
    second = asyncio.create_task(_write(sqlite_db, "kept"))
    await asyncio.sleep(0)  # both have run their work into the open group
    first.cancel()

    await second
    with pytest.raises(asyncio.CancelledError):
        await first
    # The cancelled writer's work was already in the group: it is committed with it.
    assert _seen_by_another_process(sqlite_db) == {"cancelled", "kept"}
    await _write(sqlite_db, "after")  # and the writer is free again
    assert "after" in _seen_by_another_process(sqlite_db)
