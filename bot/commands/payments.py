"""`quita payments import FILE.csv [--dry-run] [--skip-invalid REJECTS.csv]`.

Bank reconciliation for operators: one `line N, column C: problem` per error on stderr, one
summary line on stdout; exit status 2 means nothing was written.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from bot.app import StartupError, read_policy
from bot.clock import SystemClock
from bot.importing import ImportFileError
from bot.payments.reconciliation import ReconciliationReport, import_payments
from bot.service import ConversationService
from bot.settings import Settings, SettingsError, load_settings
from dialogs.negotiation.policy import Policy
from storage import Database, upgrade

__all__ = ["payments_group"]

REFUSED_EXIT = 2
ERRORS_SHOWN_WITH_REJECTS = 20


@click.group("payments")
def payments_group() -> None:
    """Payments against agreements (bank reconciliation)."""


@payments_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every line and count; write nothing.")
@click.option(
    "--skip-invalid",
    "rejects_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="REJECTS.csv",
    help="Record the valid lines and write the bad ones, with their error, to REJECTS.csv.",
)
def import_payments_command(file: Path, dry_run: bool, rejects_path: Path | None) -> None:
    """Confirm the payments in a bank CSV (external_id, amount, paid_at, txid); idempotent."""
    try:
        settings = load_settings()
        policy = read_policy(settings.quita_policy_file)
    except (SettingsError, StartupError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(REFUSED_EXIT)
    try:
        report = asyncio.run(_run(settings, policy, file, dry_run, rejects_path))
    except ImportFileError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(REFUSED_EXIT)
    shown = report.errors if rejects_path is None else report.errors[:ERRORS_SHOWN_WITH_REJECTS]
    for problem in shown:
        click.echo(str(problem), err=True)
    if len(shown) < len(report.errors):
        click.echo(f"... and {len(report.errors) - len(shown)} more error(s)", err=True)
    click.echo(report.summary())
    if report.refused:
        sys.exit(REFUSED_EXIT)


async def _run(
    settings: Settings,
    policy: Policy,
    file: Path,
    dry_run: bool,
    rejects_path: Path | None,
) -> ReconciliationReport:
    await upgrade(settings.quita_database_url)
    db = Database(settings.quita_database_url)
    clock = SystemClock()
    try:
        return await import_payments(
            ConversationService(db, policy, clock),
            file,
            now=clock.now(),
            zone=policy.contact.zone,
            dry_run=dry_run,
            rejects_path=rejects_path,
        )
    finally:
        await db.dispose()
