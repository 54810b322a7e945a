"""Starting Quita for real (`quita run`) or as a demo (`quita demo`), with clean shutdown."""

from __future__ import annotations

import asyncio
import logging

import click

from bot.app import Quita, StartupError, build, serve
from bot.cli_support import wait_for_signals
from bot.logs import configure_logging
from bot.settings import Settings
from bot.wiring import attach_channels, attach_features
from storage import upgrade

log = logging.getLogger(__name__)


def run_server(settings: Settings, *, demo: bool) -> int:
    configure_logging(settings.quita_log_level, json_lines=not demo)
    try:
        return asyncio.run(_main(settings, demo=demo))
    except StartupError as error:
        click.echo(f"error: {error}", err=True)
        return 2


async def _main(settings: Settings, *, demo: bool) -> int:
    await upgrade(settings.quita_database_url)
    quita = build(settings)
    attach_features(quita)
    attach_channels(quita)
    if demo:
        from bot.demo.seed import seed_demo

        report = await seed_demo(quita)
        click.echo(report)
    elif not settings.telegram_enabled and not settings.whatsapp_enabled:
        click.echo(
            "no messaging channel configured (set TELEGRAM_BOT_TOKEN, or WHATSAPP_ACCESS_TOKEN "
            "and WHATSAPP_PHONE_NUMBER_ID); serving the web chat only at "
            f"{settings.public_url}/chat",
            err=True,
        )
    stop = asyncio.Event()
    await wait_for_signals(stop)
    await _serve(quita, stop)
    return 0


async def _serve(quita: Quita, stop: asyncio.Event) -> None:
    await serve(quita, stop)
    click.echo("stopped cleanly", err=True)
