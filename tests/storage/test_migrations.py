"""The migrated schema is exactly the models, on both databases."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text

from storage.database import Database
from storage.migrate import alembic_config, current_revision, schema_differences, upgrade


async def test_migrated_schema_equals_the_models(db: Database) -> None:
    assert await schema_differences(db.url) == []


async def test_database_is_at_the_latest_revision_and_upgrading_again_changes_nothing(
    db: Database,
) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert await current_revision(db.url) == head
    await upgrade(db.url)
    assert await current_revision(db.url) == head
    assert await schema_differences(db.url) == []


async def test_sqlite_runs_in_wal_mode_with_busy_timeout_and_foreign_keys(
    sqlite_db: Database,
) -> None:
    async with sqlite_db.transaction(write=False) as tx:
        pragmas = {
            name: (await tx.connection.execute(text(f"PRAGMA {name}"))).scalar_one()
            for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "busy_timeout": 5000,
        "foreign_keys": 1,
        "synchronous": 1,
    }
