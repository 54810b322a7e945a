"""`quita db upgrade` creates the schema and can be run again safely."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from click.testing import CliRunner

from bot.commands.db import db
from storage.migrate import alembic_config


def test_db_upgrade_creates_the_schema_and_is_repeatable(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    first = runner.invoke(db, ["upgrade", "--url", url])
    again = runner.invoke(db, ["upgrade", "--url", url])
    current = runner.invoke(db, ["current"], env={"QUITA_DATABASE_URL": url})
    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"revision {head}" in first.output
    assert current.output.strip() == head


def test_db_upgrade_names_an_unsupported_url_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(db, ["upgrade", "--url", "mysql://localhost/quita"])
    assert result.exit_code == 2
    assert "unsupported database driver 'mysql'" in result.output
