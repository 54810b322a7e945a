"""`scripts/wal_pages.py`: which tables and indexes each SQLite commit writes."""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "wal_pages.py"


@pytest.fixture(scope="module")
def wal_pages() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wal_pages", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass resolves its annotations there
    spec.loader.exec_module(module)
    return module


def test_each_commit_is_read_with_the_pages_it_wrote_named_by_their_btree(
    wal_pages: ModuleType, tmp_path: Path
) -> None:
    database = tmp_path / "t.db"
    with closing(sqlite3.connect(database, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA wal_autocheckpoint=0")
        connection.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
        connection.execute("CREATE INDEX ix_t_b ON t (b)")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("INSERT INTO t (b) VALUES ('one row')")
        connection.execute("BEGIN")
        for n in range(300):
            connection.execute("INSERT INTO t (b) VALUES (?)", (f"{n:05d}" + "x" * 200,))
        connection.execute("COMMIT")
        commits = wal_pages.commits_in(Path(f"{database}-wal").read_bytes())
        owners = wal_pages.page_owners(database)

    assert len(commits) == 2
    one_row, many_rows = (Counter(owners[page] for page in pages) for pages in commits)
    assert one_row["t"] == 1
    assert one_row["ix_t_b"] == 1
    assert set(one_row) <= {"t", "ix_t_b", "sqlite_schema"}
    assert many_rows["t"] > 10  # 300 rows of ~210 bytes: a page holds ~18
    assert many_rows["ix_t_b"] > 10


def test_frames_left_from_before_a_rewind_are_not_read(
    wal_pages: ModuleType, tmp_path: Path
) -> None:
    """After a RESTART checkpoint the next commit writes from the WAL's start, with new
    salts; the older frames behind it belong to commits already copied back."""
    database = tmp_path / "t.db"
    with closing(sqlite3.connect(database, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA wal_autocheckpoint=0")
        connection.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)")
        for n in range(5):
            connection.execute("INSERT INTO t (b) VALUES (?)", (str(n),))
        connection.execute("PRAGMA wal_checkpoint(RESTART)")
        connection.execute("INSERT INTO t (b) VALUES ('after the rewind')")
        commits = wal_pages.commits_in(Path(f"{database}-wal").read_bytes())
    assert len(commits) == 1


def test_a_file_that_is_not_a_wal_is_refused(wal_pages: ModuleType) -> None:
    with pytest.raises(ValueError, match="not a SQLite WAL file"):
        wal_pages.commits_in(b"\0" * 64)


def test_the_script_reports_both_runs_by_table_and_index() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--debtors", "10", "--rate", "200"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    lines = done.stdout.splitlines()
    assert lines[0].split()[-2:] == ["loop", "200/s"]  # "closed loop" and the open loop
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    for btree in ("conversation", "message", "outbox", "ix_message_conversation_id_id"):
        assert all(float(cell) > 0 for cell in rows[btree]), btree
    # Commits of the outbox's rounds carry no event, so a commit can hold less than one.
    totals = {line.rsplit(maxsplit=2)[0]: line.split()[-2:] for line in lines[-4:]}
    assert set(totals) == {"all", "commits", "events per commit", "pages per event"}
    assert all(float(cell.replace(",", "")) > 0 for cells in totals.values() for cell in cells)
