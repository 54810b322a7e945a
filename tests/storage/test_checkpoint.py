"""The WAL is copied back in the background: it stays bounded and no commit is lost."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy import text

from storage.checkpoint import WalCheckpointer
from storage.database import Database

PAGE = 4096
COMMITS = 6000


def _size(file: Path) -> int:
    return file.stat().st_size


async def test_wal_stays_bounded_under_many_commits_and_data_survives_reopening(
    sqlite_url: str,
) -> None:
    path = WalCheckpointer.database_path(sqlite_url)
    assert path is not None
    wal = Path(path + "-wal")
    db = Database(sqlite_url)
    async with db.transaction() as tx:
        await tx.connection.execute(text("CREATE TABLE wal_probe (n INTEGER, blob BLOB)"))
    largest_wal = 0
    for n in range(COMMITS):
        async with db.transaction() as tx:
            await tx.connection.execute(
                text("INSERT INTO wal_probe VALUES (:n, :blob)"),
                {"n": n, "blob": os.urandom(2 * PAGE)},  # ≥ 3 WAL pages per commit
            )
        await asyncio.sleep(0)  # let the checkpointer's thread hand its result back
        size = _size(wal)
        largest_wal = max(largest_wal, size)
    await db.dispose()

    unchecked = COMMITS * 3 * PAGE  # what the WAL would hold with no checkpoints at all
    # Rewound at about the 1,000-page trigger, plus what was committed while the catch-up
    # passes ran (this loop commits several times faster than the service does), where
    # without checkpoints it would reach `unchecked`, and with passive ones alone keep growing.
    assert largest_wal < (1000 + 1000) * PAGE < unchecked / 2

    reopened = Database(sqlite_url)
    try:
        async with reopened.transaction(write=False) as tx:
            rows = (
                await tx.connection.execute(text("SELECT count(*), sum(n) FROM wal_probe"))
            ).one()
    finally:
        await reopened.dispose()
    assert tuple(rows) == (COMMITS, sum(range(COMMITS)))


def test_in_memory_databases_have_no_wal_to_checkpoint() -> None:
    assert WalCheckpointer.database_path("sqlite+aiosqlite:///:memory:") is None
    assert WalCheckpointer.database_path("sqlite+aiosqlite://") is None
    assert WalCheckpointer.database_path("sqlite+aiosqlite:////tmp/q.db") == "/tmp/q.db"


async def test_without_checkpoints_the_wal_keeps_every_commit(sqlite_url: str) -> None:
    """`checkpoints=False` (for tools that read the WAL): past SQLite's own 1,000-page
    trigger, nothing is copied back and nothing is rewound."""
    path = WalCheckpointer.database_path(sqlite_url)
    assert path is not None
    wal = Path(path + "-wal")
    db = Database(sqlite_url, checkpoints=False)
    try:
        async with db.transaction() as tx:
            await tx.connection.execute(text("CREATE TABLE wal_probe (n INTEGER, blob BLOB)"))
        commits = 1000  # 3,000 pages: past what the checkpointer lets the WAL reach
        for n in range(commits):
            async with db.transaction() as tx:
                await tx.connection.execute(
                    text("INSERT INTO wal_probe VALUES (:n, :blob)"),
                    {"n": n, "blob": os.urandom(2 * PAGE)},  # ≥ 3 WAL pages per commit
                )
        assert _size(wal) >= commits * 3 * PAGE
    finally:
        await db.dispose()
