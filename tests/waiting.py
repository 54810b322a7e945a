"""Waiting on stored state in tests: the database has no change notification to wait on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Re-check a condition on stored state until it holds (TimeoutError after `within` s)."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - nothing to wait on but the data itself
            await asyncio.sleep(0.02)
