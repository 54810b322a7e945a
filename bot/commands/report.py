"""`quita report --from --to --format csv|json`: the dashboard's figures for a spreadsheet."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime

import click

from bot.cli_support import settings_or_exit


@click.command()
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="First day of the period (local date, YYYY-MM-DD).",
)
@click.option(
    "--to",
    "end",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="Last day of the period, inclusive.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--decimal-comma",
    is_flag=True,
    help="CSV amounts as 1234,56 (Excel in Brazil); fields stay separated by ';'.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file instead of standard output.",
)
def report_command(
    start: datetime, end: datetime, fmt: str, decimal_comma: bool, output: str | None
) -> None:
    """Print the report for a period: portfolio, funnel, recovery, escalations, messages."""
    from bot.app import StartupError, read_policy
    from bot.reports.build import build_report
    from bot.reports.export import report_csv, report_json
    from storage.database import Database

    if end.date() < start.date():
        raise click.BadParameter("--to is before --from", param_hint="--to")
    settings = settings_or_exit()
    try:
        policy = read_policy(settings.quita_policy_file)
    except StartupError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)

    async def run() -> str:
        db = Database(settings.quita_database_url)
        try:
            today: date = datetime.now(UTC).astimezone(policy.contact.zone).date()
            report = await build_report(db, policy, start.date(), end.date(), today)
        finally:
            await db.dispose()
        if fmt == "json":
            return report_json(report) + "\n"
        return report_csv(report, decimal_comma=decimal_comma)

    text = asyncio.run(run())
    if output is None:
        click.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8", newline="") as file:
            file.write(text)
