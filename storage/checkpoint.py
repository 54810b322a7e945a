"""WAL checkpoints off the event loop, for the inline SQLite connections.

SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages: that
commit copies pages into the database file and syncs it, on the event loop, while the
writer lock is held. With automatic checkpoints off, `WalCheckpointer` runs
`wal_checkpoint(PASSIVE)` on its own connection in a worker thread every `every_commits`
commits or `every_seconds`.

Often and small: each pass ends with a sync of the database file, and while the disk writes
that out, the event loop's own writes to the WAL can wait for the filesystem's journal
(10–30 ms loop stalls). Syncing a quarter second of writes at a time keeps those waits short
and rare: a 4 MiB WAL, rather than 16 MiB synced once a second, halved the p99 at 1,000
events/s.

A passive checkpoint never waits for writers, so under sustained load it trails them (pages
written during the copy stay behind) and the WAL is never rewound: it keeps growing. When a
pass finds the WAL longer than `max_wal_pages`, more passes follow at once, each copying only
what was written during the one before, until what is left is small (`CATCH_UP_PAGES`). Then
the next writer, right after its commit and still holding the process's writer lock, runs
`restart()`: `wal_checkpoint(RESTART)` in a thread copies those few pages, syncs, and rewinds
the WAL so the next commit writes from its start. Every writer waits those ~2 ms (the loop
keeps running), and at 85 % load the queue that builds takes several times as long to
drain: hence the catch-up passes. The file keeps its working size (`journal_size_limit` trims
it only after a burst made it larger). RESTART rather than TRUNCATE: emptying the file costs
a truncate and a sync of the WAL per rewind, ~11 ms instead of ~2 ms with every writer
waiting. Taking the lock from inside a commit, rather than queueing for it, matters: behind
1,000 waiting writers the checkpointer would wait seconds while the WAL grows.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time

from sqlalchemy.engine import make_url

from storage.engine import JOURNAL_SIZE_LIMIT_BYTES

__all__ = ["WalCheckpointer"]

log = logging.getLogger(__name__)

_CHECKPOINT_BUSY_TIMEOUT_MS = 5000

CATCH_UP_PAGES = 256
"""A rewind waits until a pass had at most this many pages left to copy (~1 MiB to sync)."""

MAX_CATCH_UP_PASSES = 4
"""Passes in a row before rewinding anyway (writers faster than the copy never let it end)."""


class WalCheckpointer:
    """Checkpoints one SQLite file's WAL in the background; `close()` before disposing."""

    def __init__(
        self,
        path: str,
        *,
        every_commits: int = 50,
        every_seconds: float = 0.25,
        max_wal_pages: int = 1000,
    ) -> None:
        self.path = path
        self._every_commits = every_commits
        self._every_seconds = every_seconds
        self._max_wal_pages = max_wal_pages
        self._commits = 0
        self._last = time.monotonic()
        self._wal_pages = 0
        self._caught_up = False  # the last passes left little to copy: a rewind is cheap now
        self._task: asyncio.Task[None] | None = None
        self._connection: sqlite3.Connection | None = None
        self._closed = False
        self.checkpoints = 0  # completed runs, for tests and diagnostics

    @staticmethod
    def database_path(url: str) -> str | None:
        """The file behind a SQLite URL; None for an in-memory database (it has no WAL)."""
        parsed = make_url(url)
        database = parsed.database
        if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
            return None
        return database

    @property
    def restart_due(self) -> bool:
        """The WAL outgrew `max_wal_pages` and the passes caught up: call `restart()` now."""
        return self._caught_up and self._wal_pages > self._max_wal_pages and not self._closed

    async def restart(self) -> None:
        """Rewind the WAL; the caller holds the writer lock, so no writer of ours races it."""
        try:
            await asyncio.to_thread(self._checkpoint, "RESTART")
        except sqlite3.Error as error:
            log.warning("WAL restart failed: %s", error)
            self._wal_pages = 0  # retried after the next passive pass measures it again
        self._caught_up = False

    def committed(self) -> None:
        """A write transaction committed; start a checkpoint if one is due."""
        if self._closed:
            return
        self._commits += 1
        if self._task is not None:
            return
        due = self._commits >= self._every_commits
        if not due and time.monotonic() - self._last < self._every_seconds:
            return
        self._commits = 0
        self._last = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            copied_up_to = None
            for _ in range(MAX_CATCH_UP_PASSES):
                await asyncio.to_thread(self._checkpoint, "PASSIVE")
                self.checkpoints += 1
                if self._wal_pages <= self._max_wal_pages:
                    return
                # This pass copied what the previous one found plus what came meanwhile.
                if copied_up_to is not None and self._wal_pages - copied_up_to <= CATCH_UP_PAGES:
                    break
                copied_up_to = self._wal_pages
            self._caught_up = True
        except sqlite3.Error as error:
            log.warning("WAL checkpoint failed: %s", error)
        finally:
            self._task = None

    def _checkpoint(self, mode: str) -> None:
        """Worker thread: copy committed WAL pages into the database file."""
        if self._connection is None:
            self._connection = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False
            )
            self._connection.execute(f"PRAGMA busy_timeout={_CHECKPOINT_BUSY_TIMEOUT_MS}")
            self._connection.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT_BYTES}")
        row = self._connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        # (busy, pages in the WAL, pages copied); what is left uncopied decides the next mode.
        busy, wal_pages, _copied = row  # pages in the WAL, pages now in the database file
        rewound = mode == "RESTART" and busy == 0  # then the figures are from before rewinding
        self._wal_pages = 0 if rewound else wal_pages

    async def close(self) -> None:
        """Wait for a running checkpoint and close the connection (idempotent)."""
        self._closed = True
        task = self._task
        if task is not None:
            await asyncio.shield(task)
        if self._connection is not None:
            self._connection.close()
            self._connection = None
