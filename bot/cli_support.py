"""Small helpers shared by long-running commands."""

from __future__ import annotations

import asyncio
import signal
import sys

import click

from bot.settings import Settings, SettingsError, load_settings


def settings_or_exit() -> Settings:
    """Settings, or one clear line on stderr and exit status 2 (never a traceback)."""
    try:
        return load_settings()
    except SettingsError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)


async def wait_for_signals(stop: asyncio.Event) -> None:
    """Make Ctrl-C and SIGTERM set `stop` instead of killing the loop mid-transaction."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
