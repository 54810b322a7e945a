"""Small helpers shared by long-running commands."""

from __future__ import annotations

import asyncio
import signal


async def wait_for_signals(stop: asyncio.Event) -> None:
    """Make Ctrl-C and SIGTERM set `stop` instead of killing the loop mid-transaction."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
