"""The `quita` command line: set-up, import, serving, benchmarks and operations."""

from __future__ import annotations

import sys

import click

from bot.cli_support import settings_or_exit


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Quita: a respectful debt-collection chatbot (Telegram, WhatsApp, web chat)."""


@main.command()
def run() -> None:
    """Serve the configured channels, web chat, webhooks and workers (production start)."""
    from bot.runtime import run_server

    settings = settings_or_exit()
    sys.exit(run_server(settings, demo=False))


@main.command()
@click.option("--port", type=int, default=None, help="HTTP port (default QUITA_HTTP_PORT).")
def demo(port: int | None) -> None:
    """Migrate a SQLite database, seed sample debts and serve the web chat and console."""
    from bot.runtime import run_server

    settings = settings_or_exit()
    if port is not None:
        settings = settings.model_copy(update={"quita_http_port": port})
    sys.exit(run_server(settings, demo=True))


def _register() -> None:
    from bot.commands.bench import bench_command
    from bot.commands.db import db
    from bot.commands.importer import import_command
    from bot.commands.policy import policy_group

    main.add_command(import_command, "import")
    main.add_command(policy_group, "policy")
    main.add_command(bench_command, "bench")
    main.add_command(db, "db")
    from bot.commands.invite import invite_command

    main.add_command(invite_command, "invite")
    from bot.commands.agent import agent_group

    main.add_command(agent_group, "agent")
    from bot.commands.payments import payments_group

    main.add_command(payments_group, "payments")
    from bot.commands.cadence import cadence_group

    main.add_command(cadence_group, "cadence")
    from bot.commands.report import report_command

    main.add_command(report_command, "report")


_register()
