"""The migrated schema is exactly the models, on both databases."""

from __future__ import annotations

import re

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.migrate import (
    alembic_config,
    current_revision,
    downgrade,
    schema_differences,
    upgrade,
)
from storage.models import one_of_columns


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


_DOMAIN_RULES = text(
    "SELECT t.typname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
    " JOIN pg_type t ON t.oid = c.contypid"
    " WHERE c.contype = 'c' AND t.typnamespace = 'public'::regnamespace"
)
_COLUMN_TYPES = text(
    "SELECT table_name, column_name, domain_name FROM information_schema.columns"
    " WHERE table_schema = 'public' AND domain_name IS NOT NULL"
)
_TABLE_CHECKS = text("SELECT conname FROM pg_constraint WHERE contype = 'c' AND conrelid <> 0")


async def _domains(db: Database) -> tuple[dict[str, tuple[str, ...]], dict[tuple[str, str], str]]:
    """Each domain's allowed values, and which column has which domain."""
    async with db.transaction(write=False) as tx:
        rules = (await tx.connection.execute(_DOMAIN_RULES)).all()
        columns = (await tx.connection.execute(_COLUMN_TYPES)).all()
    allowed = {name: tuple(re.findall(r"'([^']*)'", rule)) for name, rule in rules}
    return allowed, {(table, column): domain for table, column, domain in columns}


async def test_postgres_restricts_enum_columns_by_domains_with_the_models_values(
    postgres_db: Database,
) -> None:
    """On PostgreSQL the models' CHECKs are domains (cheaper per statement); the values
    must still be exactly the models' ones, which Alembic's comparison does not look at."""
    allowed, typed = await _domains(postgres_db)
    expected = one_of_columns()
    assert set(typed) == set(expected)
    assert set(allowed) == set(typed.values())
    for (table, column), values in expected.items():
        assert typed[(table, column)] == f"{table}_{column}"
        assert allowed[f"{table}_{column}"] == values, (table, column)
    async with postgres_db.transaction(write=False) as tx:
        assert (await tx.connection.execute(_TABLE_CHECKS)).all() == []


async def test_postgres_downgrade_brings_the_checks_back_and_upgrade_the_domains(
    postgres_db: Database,
) -> None:
    await downgrade(postgres_db.url, "0012_outbox_unsent")
    async with postgres_db.transaction(write=False) as tx:
        checks = {row[0] for row in await tx.connection.execute(_TABLE_CHECKS)}
    assert checks == {f"ck_{table}_{column}" for table, column in one_of_columns()}
    assert await _domains(postgres_db) == ({}, {})
    bad_mode = text(
        "INSERT INTO conversation (channel, address, state, context, mode, version,"
        " created_at, updated_at) VALUES ('telegram', 'x', 's', '{}', 'sleeping', 0, now(), now())"
    )
    with pytest.raises(IntegrityError):
        async with postgres_db.transaction() as tx:
            await tx.connection.execute(bad_mode)

    await upgrade(postgres_db.url)
    assert await schema_differences(postgres_db.url) == []
    with pytest.raises(IntegrityError):
        async with postgres_db.transaction() as tx:
            await tx.connection.execute(bad_mode)


async def test_sqlite_downgrade_lists_the_values_again_and_upgrade_spells_them_out(
    sqlite_db: Database,
) -> None:
    """Migration 0016 edits the schema's text in place: both ways must leave a schema that
    SQLite reads back whole, and that still refuses a value the models do not list."""
    bad_mode = text(
        "INSERT INTO conversation (channel, address, state, context, mode, version,"
        " created_at, updated_at) VALUES ('telegram', 'x', 's', '{}', 'sleeping', 0,"
        " '2026-01-01', '2026-01-01')"
    )
    checks = text("SELECT sql FROM sqlite_master WHERE name = 'conversation'")

    async def conversation_checks() -> str:
        async with sqlite_db.transaction(write=False) as tx:
            assert (await tx.connection.execute(text("PRAGMA integrity_check"))).all() == [("ok",)]
            return str((await tx.connection.execute(checks)).scalar_one())

    await downgrade(sqlite_db.url, "0015_outbox_status_index")
    assert "CHECK (mode IN ('bot', 'queued', 'agent', 'closed'))" in await conversation_checks()
    with pytest.raises(IntegrityError):
        async with sqlite_db.transaction() as tx:
            await tx.connection.execute(bad_mode)

    await upgrade(sqlite_db.url)
    spelled = "CHECK (mode = 'bot' OR mode = 'queued' OR mode = 'agent' OR mode = 'closed')"
    assert spelled in await conversation_checks()
    assert await schema_differences(sqlite_db.url) == []
    with pytest.raises(IntegrityError):
        async with sqlite_db.transaction() as tx:
            await tx.connection.execute(bad_mode)


async def test_migration_0017_flags_the_proactive_rows_queued_before_it(db: Database) -> None:
    """Rows queued before the `proactive` column are flagged from their payload's mark, so
    the cadence still counts the reminders a debtor got this week; down and up again leaves
    the models' schema."""
    await downgrade(db.url, "0016_sqlite_checks")
    async with db.transaction() as tx:
        chat = await tx.conversations.create("telegram", "1001", state="idle")
        for key, payload in (
            ("msg:1", '{"text":"Lembrete: a parcela vence amanh\\u00e3","proactive":true}'),
            ("msg:2", '{"text":"Seu saldo \\u00e9 R$ 100,00"}'),
        ):
            await tx.connection.execute(
                text(
                    "INSERT INTO outbox (conversation_id, channel, address, payload,"
                    " idempotency_key, status, attempts, available_at, created_at)"
                    " VALUES (:chat, 'telegram', '1001', :payload, :key, 'sent', 1,"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"chat": chat.id, "payload": payload, "key": key},
            )

    await upgrade(db.url)
    async with db.transaction(write=False) as tx:
        flags = await tx.connection.execute(
            text("SELECT idempotency_key, proactive FROM outbox ORDER BY id")
        )
        assert [(key, bool(proactive)) for key, proactive in flags] == [
            ("msg:1", True),
            ("msg:2", False),
        ]
    assert await schema_differences(db.url) == []

    await downgrade(db.url, "0016_sqlite_checks")
    async with db.transaction(write=False) as tx:
        columns = await tx.connection.execute(text("SELECT * FROM outbox ORDER BY id"))
        assert "proactive" not in list(columns.keys())
    await upgrade(db.url)
    assert await schema_differences(db.url) == []


async def test_migration_0018_leaves_room_in_the_outbox_pages_on_postgres(
    postgres_db: Database,
) -> None:
    """Half of each new outbox page stays free for its rows' claims (HOT updates); down
    again, the table fills its pages as before."""
    options = text("SELECT reloptions FROM pg_class WHERE relname = 'outbox'")

    async def outbox_options() -> list[str] | None:
        async with postgres_db.transaction(write=False) as tx:
            found: list[str] | None = (await tx.connection.execute(options)).scalar_one()
            return found

    assert await outbox_options() == ["fillfactor=50"]
    await downgrade(postgres_db.url, "0017_outbox_proactive")
    assert await outbox_options() is None
    await upgrade(postgres_db.url)
    assert await outbox_options() == ["fillfactor=50"]
    assert await schema_differences(postgres_db.url) == []
