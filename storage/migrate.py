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
from sqlalchemy import Column, String
from sqlalchemy.dialects.postgresql import DOMAIN
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator, TypeEngine

from storage.engine import create_engine
from storage.models import metadata, one_of_columns

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
        context = MigrationContext.configure(conn, opts={"compare_type": compare_type})
        return list(compare_metadata(context, metadata))

    result: list[Any] = await _with_connection(url, compare)
    return result


def compare_type(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Whether a column's type differs from the models' (None: Alembic's own comparison).

    On PostgreSQL a column restricted to a list of values is a domain `<table>_<column>`
    over its string type (migration 0013), where the models declare the string and a CHECK;
    that is no difference. The domain's values are compared by a test of their own."""
    if not isinstance(inspected_type, DOMAIN):
        return None
    table = metadata_column.table.name
    restricted = (table, metadata_column.name) in one_of_columns()
    expected = f"{table}_{metadata_column.name}"
    declared = (
        metadata_type.impl_instance if isinstance(metadata_type, TypeDecorator) else metadata_type
    )
    return not (restricted and inspected_type.name == expected and isinstance(declared, String))


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
