"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

Take `db` (or `database_url`) and the test runs twice, ids `sqlite` and `postgresql`.
Narrow it with `@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)`,
or take `sqlite_db` / `postgres_db` for one backend only.

Each backend is migrated once per session into a template; a test gets a copy (a file copy
for SQLite, `CREATE DATABASE ... TEMPLATE` for PostgreSQL), so fixtures cost milliseconds.
PostgreSQL comes from `QUITA_TEST_POSTGRES_URL`, or else a throwaway cluster that this
session starts with `scripts/test-postgres.sh` and stops at the end. It is never skipped.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from storage.database import Database
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
PG_SCRIPT = ROOT / "scripts" / "test-postgres.sh"
T = TypeVar("T")


def run_in_fresh_loop(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, even if a loop is already running."""

    async def main() -> T:
        return await make()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def render(url: URL) -> str:
    return url.render_as_string(hide_password=False)


async def admin_sql(server: URL, *statements: str) -> None:
    """Run statements (CREATE/DROP DATABASE) on the server's maintenance database."""
    conn = await asyncpg.connect(
        host=server.host,
        port=server.port,
        user=server.username,
        password=server.password,
        database=server.database or "postgres",
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


# --- SQLite -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    run_in_fresh_loop(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite file for this test."""
    target = tmp_path / "quita.db"
    shutil.copyfile(sqlite_template, target)
    wal = sqlite_template.with_name(sqlite_template.name + "-wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + "-wal"))
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    yield database
    await database.dispose()


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[URL]:
    """The PostgreSQL server: from QUITA_TEST_POSTGRES_URL or a cluster started here."""
    configured = os.environ.get("QUITA_TEST_POSTGRES_URL")
    if configured:
        yield make_url(configured)
        return
    directory = tempfile.mkdtemp(prefix="quita-pg-")
    started = subprocess.run(
        [str(PG_SCRIPT), "start", directory], check=True, capture_output=True, text=True
    )
    try:
        yield make_url(started.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run([str(PG_SCRIPT), "stop", directory], check=False, capture_output=True)


@pytest.fixture(scope="session")
def postgres_template(postgres_server: URL) -> Iterator[str]:
    """Name of a database migrated once per session, copied for every test."""
    name = f"quita_template_{uuid.uuid4().hex[:12]}"
    run_in_fresh_loop(lambda: admin_sql(postgres_server, f'CREATE DATABASE "{name}"'))
    run_in_fresh_loop(lambda: upgrade(render(postgres_server.set(database=name))))
    yield name
    run_in_fresh_loop(
        lambda: admin_sql(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    )


@pytest.fixture
async def postgres_url(postgres_server: URL, postgres_template: str) -> AsyncIterator[str]:
    """A fresh migrated PostgreSQL database for this test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex}"
    await admin_sql(postgres_server, f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    yield render(postgres_server.set(database=name))
    await admin_sql(postgres_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def postgres_db(postgres_url: str) -> AsyncIterator[Database]:
    database = Database(postgres_url)
    yield database
    await database.dispose()


# --- Both ---------------------------------------------------------------------------------


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated database URL, once per backend (or as chosen with indirect=True)."""
    backend = request.param
    if backend == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    if backend == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    raise ValueError(f"unknown database backend {backend!r}: use 'sqlite' or 'postgresql'")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A `Database` on a fresh migrated database; the test runs on SQLite and PostgreSQL."""
    database = Database(database_url)
    yield database
    await database.dispose()
