"""`quita bench`: events/s and latency of the service path, with and without storage."""

from __future__ import annotations

import asyncio
import sys

import click

from bot.bench import bench, peak_rss_mib


@click.command("bench")
@click.option(
    "--debtors", default=1000, show_default=True, help="Simulated debtors chatting at once."
)
@click.option(
    "--rate", default=1000.0, show_default=True, help="Offered events/s for the latency run."
)
@click.option(
    "--database",
    default=None,
    help="SQLAlchemy URL to measure (default: a fresh SQLite file in a temp dir).",
)
def bench_command(debtors: int, rate: float, database: str | None) -> None:
    """Drive simulated debtors through complete conversations and print the figures."""
    with click.progressbar(length=2 * debtors, label="seeding", file=sys.stderr) as bar:

        def advance(done: int) -> None:
            bar.update(done)

        results = asyncio.run(bench(database, debtors, rate, click.echo, advance))
    for figures in results:
        click.echo(figures.line())
    click.echo(f"peak RSS {peak_rss_mib():,.0f} MiB")
