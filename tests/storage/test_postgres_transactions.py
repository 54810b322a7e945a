"""PostgreSQL transactions on kept connections: reused, atomic, healed when they break."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import exc, text

from storage.database import Database
from storage.engine import create_engine
from storage.postgres_transactions import PostgresTransactions
from tests.storage.helpers import NOW, new_conversation


async def backend_pid(db: Database) -> int:
    async with db.transaction() as tx:
        pid: int = (await tx.connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    return pid


async def audit_actions(db: Database) -> list[str]:
    async with db.transaction(write=False) as tx:
        return sorted(entry.action for entry in await tx.audit.recent())


async def test_a_transaction_reuses_the_kept_connection(postgres_url: str) -> None:
    db = Database(postgres_url, pool_size=1)
    try:
        first = await backend_pid(db)
        for _ in range(5):
            assert await backend_pid(db) == first
    finally:
        await db.dispose()


async def test_prepared_and_core_statements_commit_and_roll_back_together(
    postgres_db: Database,
) -> None:
    chat = (await new_conversation(postgres_db)).id
    async with postgres_db.transaction() as tx:
        await tx.audit.record("system", "kept", now=NOW)  # Core, through SQLAlchemy
        await tx.messages.add_inbound(chat, "webchat", None, "hi", now=NOW)  # asyncpg

    async def fail_midway() -> None:
        async with postgres_db.transaction() as tx:
            await tx.audit.record("system", "undone", now=NOW)
            await tx.messages.add_inbound(chat, "webchat", "m-2", "undone", now=NOW)
            raise RuntimeError("the event failed")

    with pytest.raises(RuntimeError):
        await fail_midway()
    assert await audit_actions(postgres_db) == ["kept"]
    async with postgres_db.transaction(write=False) as tx:
        texts = await tx.connection.execute(text("SELECT text FROM message ORDER BY id"))
        assert list(texts.scalars()) == ["hi"]


async def test_an_error_at_commit_is_sqlalchemys_and_the_connection_stays_usable(
    postgres_db: Database,
) -> None:
    create = (
        "CREATE TABLE deferred_pair (n INTEGER, "
        "CONSTRAINT one_n UNIQUE (n) DEFERRABLE INITIALLY DEFERRED)"
    )
    async with postgres_db.transaction() as tx:
        await tx.connection.execute(text(create))
    with pytest.raises(exc.IntegrityError, match="one_n"):
        async with postgres_db.transaction() as tx:  # the check runs at COMMIT
            await tx.connection.execute(text("INSERT INTO deferred_pair VALUES (1), (1)"))
    async with postgres_db.transaction() as tx:
        await tx.connection.execute(text("INSERT INTO deferred_pair VALUES (2)"))
    async with postgres_db.transaction(write=False) as tx:
        rows = await tx.connection.execute(text("SELECT n FROM deferred_pair"))
        assert list(rows.scalars()) == [2]


async def test_a_connection_killed_by_the_server_is_replaced(postgres_url: str) -> None:
    db = Database(postgres_url, pool_size=1)
    try:
        victim = await backend_pid(db)
        async with db.engine.connect() as admin:
            await admin.execute(text(f"SELECT pg_terminate_backend({victim})"))
            await admin.commit()
        with pytest.raises(exc.DBAPIError):
            await backend_pid(db)  # the kept connection is dead: a clear database error
        replacement = await backend_pid(db)
        assert replacement != victim
        async with db.transaction() as tx:
            await tx.audit.record("system", "after", now=NOW)
        assert await audit_actions(db) == ["after"]
    finally:
        await db.dispose()


async def test_a_cancelled_transaction_releases_its_locks_and_its_slot(
    postgres_url: str,
) -> None:
    db = Database(postgres_url, pool_size=1)
    locked = asyncio.Event()

    async def hold_a_lock() -> None:
        async with db.transaction() as tx:
            await tx.connection.execute(text("SELECT pg_advisory_xact_lock(42)"))
            locked.set()
            await asyncio.Event().wait()  # cancelled here, mid-transaction

    try:
        holder = asyncio.create_task(hold_a_lock())
        await locked.wait()
        holder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holder
        async with db.transaction() as tx:  # the only slot is free again, the lock gone
            got = await tx.connection.execute(text("SELECT pg_try_advisory_xact_lock(42)"))
            assert got.scalar_one() is True
    finally:
        await db.dispose()


@asynccontextmanager
async def one_connection(
    url: str, *, timeout_seconds: float = 30, recycle_seconds: float = 3600
) -> AsyncIterator[PostgresTransactions]:
    """Transactions on at most one kept connection."""
    engine = create_engine(url)
    pool = PostgresTransactions(
        engine, size=1, timeout_seconds=timeout_seconds, recycle_seconds=recycle_seconds
    )
    try:
        yield pool
    finally:
        await pool.close()
        await engine.dispose()


async def test_waiters_are_served_in_arrival_order(postgres_url: str) -> None:
    order: list[int] = []
    async with one_connection(postgres_url) as pool:

        async def record(n: int) -> None:
            async with pool.transaction():
                order.append(n)

        async with pool.transaction():
            waiters = [asyncio.create_task(record(n)) for n in range(5)]
            await asyncio.sleep(0)  # one turn: all five queue for the only connection
        await asyncio.gather(*waiters)
    assert order == [0, 1, 2, 3, 4]


async def take_turn(
    pool: PostgresTransactions, order: list[str], name: str, *, urgent: bool = False
) -> None:
    """A transaction that says when it got its connection."""
    async with pool.transaction(urgent=urgent):
        order.append(name)


async def test_urgent_waiters_are_served_before_the_others_and_in_their_own_order(
    postgres_url: str,
) -> None:
    order: list[str] = []
    async with one_connection(postgres_url) as pool:
        async with pool.transaction():
            waiters = [asyncio.create_task(take_turn(pool, order, f"event {n}")) for n in range(3)]
            await asyncio.sleep(0)  # one turn: the three events queue first
            waiters += [
                asyncio.create_task(take_turn(pool, order, f"outbox {n}", urgent=True))
                for n in (1, 2)
            ]
            await asyncio.sleep(0)
        await asyncio.gather(*waiters)
    assert order == ["outbox 1", "outbox 2", "event 0", "event 1", "event 2"]


async def test_an_urgent_waiter_that_gives_up_leaves_the_queue_working(postgres_url: str) -> None:
    order: list[str] = []
    async with one_connection(postgres_url) as pool:
        async with pool.transaction():
            event = asyncio.create_task(take_turn(pool, order, "event"))
            gives_up = asyncio.create_task(take_turn(pool, order, "cancelled", urgent=True))
            await asyncio.sleep(0)
            gives_up.cancel()
        await event
    assert gives_up.cancelled()
    assert order == ["event"]


async def test_a_wait_for_a_connection_times_out_with_a_clear_error(postgres_url: str) -> None:
    async with one_connection(postgres_url, timeout_seconds=0.05) as pool:
        async with pool.transaction():
            with pytest.raises(exc.TimeoutError, match="QUITA_DATABASE_POOL_SIZE"):
                async with pool.transaction():
                    pass
        async with pool.transaction() as connection:  # the slot was not lost
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1


async def test_connections_are_replaced_after_the_recycle_age(postgres_url: str) -> None:
    async with one_connection(postgres_url, recycle_seconds=0) as pool:

        async def pid() -> int:
            async with pool.transaction() as connection:
                found = await connection.execute(text("SELECT pg_backend_pid()"))
                value: int = found.scalar_one()
            return value

        first = await pid()
        assert await pid() != first
