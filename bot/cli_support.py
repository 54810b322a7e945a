"""Small helpers shared by long-running commands."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

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


REFUSED_EXIT = 2  # the command refused to act (bad settings, bad input); nothing was changed


class TerminalProgress:
    """A progress bar on stderr for long jobs, shown only on an interactive terminal and only
    when there is enough work to be worth watching (logs and CI output stay clean)."""

    def __init__(self, label: str, *, min_total: int) -> None:
        self._label = label
        self._min_total = min_total
        self._bar: Any = None
        self._done = 0

    def start(self, total: int) -> None:
        if total >= self._min_total and sys.stderr.isatty():
            self._bar = click.progressbar(length=total, label=self._label, file=sys.stderr)
            self._bar.__enter__()

    def update(self, done: int) -> None:
        """`done` is the running total, not an increment."""
        if self._bar is not None:
            self._bar.update(done - self._done)
        self._done = done

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
