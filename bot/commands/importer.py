"""`quita import FILE.csv [--dry-run] [--skip-invalid REJECTS.csv]`.

Operator output is plain English: one `line N, column C: problem` per error on stderr, one
summary line on stdout, a progress bar on a terminal for big files. Exit status 2 means
nothing was imported.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

import click

from bot.cli_support import REFUSED_EXIT, TerminalProgress, settings_or_exit
from bot.importing import ImportFileError, ImportReport, import_debts
from storage import upgrade

__all__ = ["import_command"]

PROGRESS_MIN_ROWS = 1000
ERRORS_SHOWN_WITH_REJECTS = 20


def _print_errors(report: ImportReport) -> None:
    errors = report.errors
    shown = errors if report.rejects_path is None else errors[:ERRORS_SHOWN_WITH_REJECTS]
    for error in shown:
        click.echo(str(error), err=True)
    if len(shown) < len(errors):
        click.echo(f"... and {len(errors) - len(shown)} more error(s)", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Check every line and count what would change; write nothing."
)
@click.option(
    "--skip-invalid",
    "rejects_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    metavar="REJECTS.csv",
    help="Import the valid lines and write the bad ones, with their error, to REJECTS.csv.",
)
def import_command(file: Path, dry_run: bool, rejects_path: Path | None) -> None:
    """Import debts from a CSV file; every line is checked before anything is written."""
    settings = settings_or_exit()
    today = datetime.now(settings.zone).date()
    url = settings.quita_database_url

    async def migrate_and_import() -> ImportReport:
        await upgrade(url)
        return await import_debts(
            url,
            file,
            dry_run=dry_run,
            rejects_path=rejects_path,
            today=today,
            progress=TerminalProgress("Importing debts", min_total=PROGRESS_MIN_ROWS),
        )

    try:
        report = asyncio.run(migrate_and_import())
    except ImportFileError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(REFUSED_EXIT)
    _print_errors(report)
    click.echo(report.summary())
    if report.refused:
        sys.exit(REFUSED_EXIT)
