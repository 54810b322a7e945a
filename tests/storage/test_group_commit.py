"""SQLite group commit: writers share a COMMIT, but each keeps its own all-or-nothing.

What callers rely on: when `transaction()` returns, the work is committed (another process
sees it); a writer that fails loses only its own work, never its group's; a writer cancelled
while it waits does not strand the others. A retryable writer (no savepoint) that fails takes
back the other retryable work since the last savepoint, and those writers are told to run
again: nothing of theirs is half-stored, and nothing a savepoint kept is lost.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Iterator

import pytest
from sqlalchemy import exc, text
from sqlalchemy.engine import Connection, Engine, make_url

from storage.database import Database
from storage.engine import create_inline_sqlite_engine
from storage.group_commit import MAX_GROUP, GroupCommitWriter, GroupRolledBackError
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


# -- the commit delay under load ----------------------------------------------------------

LONG_DELAY = 60.0  # far longer than any test may take: waiting it out would fail the test


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    engine = create_inline_sqlite_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE probe (name TEXT)"))
    yield engine
    engine.dispose()


def _writer(
    engine: Engine, commits: list[str], *, commit_delay: float, max_group: int = MAX_GROUP
) -> GroupCommitWriter:
    async def begin() -> Connection:
        connection = engine.connect()
        connection.begin()
        return connection

    async def after_commit() -> None:
        commits.append("COMMIT")

    return GroupCommitWriter(begin, after_commit, max_group=max_group, commit_delay=commit_delay)


async def _insert(
    writer: GroupCommitWriter,
    name: str,
    wrote: asyncio.Event | None = None,
    *,
    retryable: bool = False,
    fail: bool = False,
) -> None:
    async with writer.transaction(retryable=retryable) as connection:
        connection.execute(text("INSERT INTO probe VALUES (:name)"), {"name": name})
        if wrote is not None:
            wrote.set()
        if fail:
            raise RuntimeError(f"{name} failed")


def _names(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(text("SELECT name FROM probe"))}


async def test_an_urgent_writer_takes_the_writer_before_those_already_waiting(
    engine: Engine,
) -> None:
    """The outbox's rounds are urgent: committed replies go out before queued events."""
    writer = _writer(engine, [], commit_delay=0)
    order: list[str] = []

    async def write(name: str, *, urgent: bool = False) -> None:
        async with writer.transaction(urgent=urgent) as connection:
            order.append(name)
            connection.execute(text("INSERT INTO probe VALUES (:name)"), {"name": name})

    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with writer.transaction():
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    events = [asyncio.create_task(write(f"event {n}")) for n in range(3)]
    await asyncio.sleep(0)  # one turn: the events queue for the writer first
    outbox = asyncio.create_task(write("outbox", urgent=True))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(holder, outbox, *events)

    assert order == ["outbox", "event 0", "event 1", "event 2"]
    assert _names(engine) == {"outbox", "event 0", "event 1", "event 2"}


async def test_a_writer_alone_commits_without_waiting_for_company(engine: Engine) -> None:
    commits: list[str] = []
    writer = _writer(engine, commits, commit_delay=LONG_DELAY)

    await asyncio.wait_for(_insert(writer, "alone"), timeout=LONG_DELAY / 2)

    assert commits == ["COMMIT"]
    assert _names(engine) == {"alone"}


async def test_under_load_a_writer_arriving_during_the_delay_shares_the_commit(
    engine: Engine,
) -> None:
    commits: list[str] = []
    writer = _writer(engine, commits, commit_delay=LONG_DELAY, max_group=2)
    # Two writers at once: a full group, committed at once — the writer is now under load.
    await asyncio.gather(_insert(writer, "a"), _insert(writer, "b"))
    assert commits == ["COMMIT"]

    first_wrote = asyncio.Event()
    first = asyncio.create_task(_insert(writer, "first", first_wrote))
    await first_wrote.wait()  # its work is in, and its group waits for company

    await asyncio.wait_for(asyncio.gather(first, _insert(writer, "later")), LONG_DELAY / 2)
    # The later writer joined the waiting group and filled it: one COMMIT for both.
    assert commits == ["COMMIT", "COMMIT"]
    assert _names(engine) == {"a", "b", "first", "later"}


async def test_a_failed_commit_reaches_every_member_and_keeps_nothing(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        connection.execute(
            text(
                "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE "
                "INITIALLY DEFERRED)"
            )
        )
    commits: list[str] = []
    writer = _writer(engine, commits, commit_delay=0.0)

    async def orphan() -> None:  # checked only at COMMIT: the whole group's COMMIT fails
        async with writer.transaction() as connection:
            connection.execute(text("INSERT INTO child VALUES (42)"))

    outcomes = await asyncio.gather(
        _insert(writer, "before"), orphan(), _insert(writer, "after"), return_exceptions=True
    )

    assert all(isinstance(outcome, exc.IntegrityError) for outcome in outcomes), outcomes
    assert commits == []  # nothing committed, so no WAL upkeep either
    assert _names(engine) == set()
    await _insert(writer, "next")  # the writer is free again
    assert _names(engine) == {"next"}


# -- retryable writers: no savepoint, run again when a failure takes their work back -------


async def _outcomes(*writers: Awaitable[None]) -> list[str]:
    """How each of the writers, run at once, ended: "committed" or its error's name."""
    ended = await asyncio.gather(*writers, return_exceptions=True)
    return ["committed" if outcome is None else type(outcome).__name__ for outcome in ended]


async def test_a_failing_retryable_writer_sends_its_retryable_group_back_to_run_again(
    engine: Engine,
) -> None:
    commits: list[str] = []
    writer = _writer(engine, commits, commit_delay=0.0)

    outcomes = await _outcomes(
        _insert(writer, "r1", retryable=True),
        _insert(writer, "r2", retryable=True),
        _insert(writer, "broken", retryable=True, fail=True),
        _insert(writer, "after", retryable=True),
    )

    assert outcomes == [
        "GroupRolledBackError",
        "GroupRolledBackError",
        "RuntimeError",
        "committed",
    ]
    assert _names(engine) == {"after"}  # nothing of the group was half-stored
    await _insert(writer, "r1", retryable=True)  # run again, as the error asks
    assert _names(engine) == {"after", "r1"}


async def test_a_retryable_failure_never_takes_back_what_a_savepoint_kept(engine: Engine) -> None:
    commits: list[str] = []
    writer = _writer(engine, commits, commit_delay=0.0)

    outcomes = await _outcomes(
        _insert(writer, "r0", retryable=True),
        _insert(writer, "kept"),  # with a savepoint: cannot run again
        _insert(writer, "r2", retryable=True),
        _insert(writer, "broken", retryable=True, fail=True),
        _insert(writer, "r4", retryable=True),
    )

    assert outcomes == [
        "committed",
        "committed",
        "GroupRolledBackError",
        "RuntimeError",
        "committed",
    ]
    assert commits == ["COMMIT"]  # one group throughout
    assert _names(engine) == {"r0", "kept", "r4"}


async def test_a_failing_savepoint_writer_still_loses_only_its_own_work(engine: Engine) -> None:
    commits: list[str] = []
    writer = _writer(engine, commits, commit_delay=0.0)

    outcomes = await _outcomes(
        _insert(writer, "r1", retryable=True),
        _insert(writer, "broken", fail=True),
        _insert(writer, "r3", retryable=True),
    )

    assert outcomes == ["committed", "RuntimeError", "committed"]
    assert _names(engine) == {"r1", "r3"}


async def test_a_rolled_back_writer_is_told_even_while_it_waits_for_company(
    engine: Engine,
) -> None:
    commits: list[str] = []
    writer = _writer(engine, commits, commit_delay=LONG_DELAY, max_group=2)
    await asyncio.gather(_insert(writer, "a"), _insert(writer, "b"))  # now under load
    first_wrote = asyncio.Event()
    first = asyncio.create_task(_insert(writer, "first", first_wrote, retryable=True))
    await first_wrote.wait()  # its work is in, and its group waits LONG_DELAY for company

    with pytest.raises(RuntimeError):
        await _insert(writer, "broken", retryable=True, fail=True)
    with pytest.raises(GroupRolledBackError):
        await asyncio.wait_for(first, LONG_DELAY / 2)
    assert _names(engine) == {"a", "b"}
