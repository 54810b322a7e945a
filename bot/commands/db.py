"""`quita db ...`: create and migrate the database named by QUITA_DATABASE_URL (or --url)."""

from __future__ import annotations

import asyncio

import click

from bot.cli_support import settings_or_exit
from storage.engine import UnsupportedDatabaseError
from storage.migrate import current_revision, upgrade


def _url(url: str | None) -> str:
    return url or settings_or_exit().quita_database_url


@click.group()
def db() -> None:
    """Create and migrate the database."""


@db.command("upgrade")
@click.option("--url", help="Database URL (default: QUITA_DATABASE_URL).")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade_command(url: str | None, revision: str) -> None:
    """Apply migrations up to the latest schema (safe to run again)."""
    target = _url(url)
    try:
        asyncio.run(upgrade(target, revision))
        reached = asyncio.run(current_revision(target))
    except UnsupportedDatabaseError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"database schema at revision {reached}")


@db.command("current")
@click.option("--url", help="Database URL (default: QUITA_DATABASE_URL).")
def current_command(url: str | None) -> None:
    """Print the schema revision the database is at."""
    click.echo(asyncio.run(current_revision(_url(url))) or "empty (run `quita db upgrade`)")
