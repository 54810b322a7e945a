"""Starting Quita for real (`quita run`) or as a demo (`quita demo`), with clean shutdown."""

from __future__ import annotations

import asyncio
import logging

import click
from pydantic import SecretStr

from bot.app import StartupError, build, serve
from bot.cli_support import wait_for_signals
from bot.demo.seed import seed_demo
from bot.heap import settle_after_startup, sweep_periodically
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


DEMO_PAYMENTS_SECRET = "demo-secret"  # noqa: S105 - the demo's documented payments secret


async def _main(settings: Settings, *, demo: bool) -> int:
    if demo and settings.payments_webhook_secret is None:
        # So the README's one `curl` confirms a payment in the demo out of the box.
        settings = settings.model_copy(
            update={"payments_webhook_secret": SecretStr(DEMO_PAYMENTS_SECRET)}
        )
    await upgrade(settings.quita_database_url)
    quita = build(settings)
    attach_features(quita)
    attach_channels(quita)
    report = ""
    if demo:
        report = await seed_demo(quita)
    elif not settings.telegram_enabled and not settings.whatsapp_enabled:
        click.echo(
            "no messaging channel configured (set TELEGRAM_BOT_TOKEN, or WHATSAPP_ACCESS_TOKEN "
            "and WHATSAPP_PHONE_NUMBER_ID); serving the web chat only at "
            f"{settings.public_url}/chat",
            err=True,
        )
    settle_after_startup()
    quita.background.append(sweep_periodically)  # what the young collections leave
    stop, ready = asyncio.Event(), asyncio.Event()
    await wait_for_signals(stop)
    server = asyncio.create_task(serve(quita, stop, ready=ready))
    started = asyncio.create_task(ready.wait())
    await asyncio.wait({server, started}, return_when=asyncio.FIRST_COMPLETED)
    if not started.done():
        started.cancel()
    if ready.is_set() and report:
        click.echo(report)  # only once the links actually work
    await server
    click.echo("stopped cleanly", err=True)
    return 0
