"""`quita bench`: events/s and latency of the service path, with and without storage, or
end to end through python-telegram-bot and a loopback Bot API (`--channel telegram`)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

import click

from bot.bench import (
    SERVICE_LATENCY_TARGET,
    SERVICE_TARGET,
    Figures,
    bench,
    bench_telegram,
    peak_rss_mib,
    telegram_target,
)
from bot.bench.machine import MachineSpeed, python_loop_us
from bot.heap import SWEEP_INTERVAL_SECONDS, sweep
from bot.logs import configure_logging


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
@click.option(
    "--channel",
    type=click.Choice(["service", "telegram"]),
    default="service",
    show_default=True,
    help="service: the service path alone; telegram: end to end through PTB polling.",
)
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(1, 16),
    help="Split the debtors over this many processes (PostgreSQL only), like several `quita run`.",
)
@click.option(
    "--deliver-during/--deliver-after",
    default=True,
    show_default=True,
    help="Run the outbox during each run (on the same core), or only after it: the service "
    "path alone.",
)
def bench_command(
    debtors: int,
    rate: float,
    database: str | None,
    channel: str,
    processes: int,
    deliver_during: bool,
) -> None:
    """Drive simulated debtors through complete conversations and print the figures."""
    if not deliver_during and channel != "service":
        raise click.UsageError("--deliver-after is for --channel service.")
    if processes > 1 and (channel != "service" or not (database or "").startswith("postgresql")):
        raise click.UsageError(
            "--processes needs --channel service and a PostgreSQL --database "
            "(SQLite has a single writer)."
        )
    # Log as `quita run` does, so the figures include what its logging costs; the migrations
    # of the bench's throwaway database are not news.
    configure_logging("INFO")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    seeded = 2 * debtors  # each run has debtors of its own
    speed_before = python_loop_us()
    with click.progressbar(length=seeded, label="seeding", file=sys.stderr) as bar:

        def advance(done: int) -> None:
            bar.update(done)

        def report(line: str) -> None:
            click.echo(line, err=True)

        if channel == "telegram":
            telegram = asyncio.run(
                bench_telegram(database, debtors, click.echo, advance, report=report)
            )
            results: Sequence[Figures] = telegram.runs()
        else:
            results = asyncio.run(
                bench(
                    database,
                    debtors,
                    rate,
                    click.echo,
                    advance,
                    report,
                    processes,
                    deliver_during_runs=deliver_during,
                )
            )
    speed = MachineSpeed(speed_before, python_loop_us())
    for figures in results:
        click.echo(
            figures.line().replace(" events", " updates")
            if channel == "telegram"
            else figures.line()
        )
    if channel == "telegram":
        target = telegram_target(telegram.reference)
        click.echo(f"five steps: {target.verdict(telegram.five_steps)}")
        click.echo(
            "(outbox rate limits lifted for the measurement; the whole conversation's tail "
            "waits for the debtors' PIX QR codes, drawn one at a time in a process of their "
            "own)"
        )
    else:
        # The capacity run never keeps up: its rate is the capacity. The run at the offered
        # rate shows latency.
        capacity, at_rate = results[0], results[1]
        click.echo(f"capacity: {SERVICE_TARGET.verdict(capacity)}")
        click.echo(f"@ {rate:,.0f}/s offered: {SERVICE_LATENCY_TARGET.verdict(at_rate, rate)}")
        if not deliver_during:
            click.echo("(the outbox delivered each run's replies after it, not during it)")
    swept = sweep()
    click.echo(
        f"heap sweep (quita run: one every {SWEEP_INTERVAL_SECONDS / 60:.0f} min): "
        f"loop paused {swept.seconds * 1000:.0f} ms"
    )
    click.echo(f"peak RSS {peak_rss_mib():,.0f} MiB")
    click.echo(speed.line())
