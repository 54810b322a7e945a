"""Schema migrations (`quita db upgrade`), with Alembic configured in code.

Works for SQLite and PostgreSQL URLs alike; SQLite migrations run in Alembic's batch mode
because SQLite cannot ALTER most things in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from storage.engine import create_engine
from storage.models import metadata

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration pointing at the migrations shipped inside this package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (default: the latest)."""
    await _with_connection(url, lambda conn: _alembic(conn, "upgrade", revision))


async def downgrade(url: str, revision: str) -> None:
    await _with_connection(url, lambda conn: _alembic(conn, "downgrade", revision))


async def current_revision(url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""

    def read(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    result: str | None = await _with_connection(url, read)
    return result


async def schema_differences(url: str) -> list[Any]:
    """What Alembic autogenerate would change to make the database match the models."""

    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    result: list[Any] = await _with_connection(url, compare)
    return result


def _alembic(conn: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = conn
    getattr(command, action)(config, revision)


async def _with_connection(url: str, work: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()
