"""Keep the report summaries fresh in the background, so opening the dashboard stays cheap."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot.app import Quita
from bot.reports.build import refresh

log = logging.getLogger(__name__)
REFRESH_SECONDS = 300.0


def summary_refresher(
    quita: Quita, every: float = REFRESH_SECONDS
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            today = quita.clock.now().astimezone(quita.policy.contact.zone).date()
            try:
                await refresh(quita.db, today, quita.policy)
            except Exception:  # a failed refresh must not stop the server; next round retries
                log.exception("report summary refresh failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    return run
