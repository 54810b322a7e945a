"""Composition root: build storage, policy, service, workers, channels and the web server
from settings, start them in order and stop them in reverse.

Everything is created here and passed down; nothing below reaches for globals.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot import outbound_media
from bot.channels.webchat import WebchatHub, WebchatSender
from bot.clock import Clock, SystemClock
from bot.outbox import ChannelLimits, OutboxWorker, RetryPolicy
from bot.refusals import Refusals
from bot.service import ConversationService
from bot.settings import Settings
from bot.web import chat, health
from bot.web.security import security_headers
from dialogs.negotiation.policy import Policy, PolicyError, load_policy
from storage import Database

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Something the operator must fix before Quita can start; the message says what."""


def read_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise StartupError(
            f"QUITA_POLICY_FILE: cannot read {path} ({error.strerror}); "
            "copy policy.example.toml and point QUITA_POLICY_FILE at it"
        ) from None
    try:
        return load_policy(text)
    except PolicyError as error:
        raise StartupError(f"{path}: {error}") from None


@dataclass
class Quita:
    settings: Settings
    db: Database
    policy: Policy
    clock: Clock
    service: ConversationService
    outbox: OutboxWorker
    hub: WebchatHub
    web_app: web.Application
    bound_port: int | None = None
    background: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = field(
        default_factory=list
    )
    startables: list[tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]] = field(
        default_factory=list
    )
    policy_listeners: list[Callable[[Policy], None]] = field(default_factory=list)

    def replace_policy(self, policy: Policy) -> None:
        """Apply a new creditor policy to the running process at once (console settings).

        The service reads it from its next event on; `quita.policy` readers see it on their
        next read; anything that copied the policy at start-up registers a listener.
        """
        self.policy = policy
        self.service.replace_policy(policy)
        for listener in self.policy_listeners:
            listener(policy)


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    policy: Policy | None = None,
    retry: RetryPolicy | None = None,
    limits: dict[str, ChannelLimits] | None = None,
) -> Quita:
    clock = clock or SystemClock()
    policy = policy or read_policy(settings.quita_policy_file)
    db = Database(settings.quita_database_url, pool_size=settings.quita_database_pool_size)
    refusals = Refusals()  # one for refusals at send time (outbox) and later (statuses)
    service = ConversationService(db, policy, clock, refusals=refusals)
    hub = WebchatHub()
    default_limits = {
        "webchat": ChannelLimits(
            rate_per_second=500, per_chat_rate=50, per_chat_burst=50, shared=False
        ),
        "telegram": ChannelLimits(rate_per_second=settings.telegram_rate_per_second),
        "whatsapp": ChannelLimits(rate_per_second=settings.whatsapp_rate_per_second),
    }
    outbox = OutboxWorker(
        db,
        {"webchat": WebchatSender(hub)},
        clock,
        limits=limits or default_limits,
        retry=retry or RetryPolicy(max_attempts=settings.quita_outbox_max_attempts),
        lease_seconds=settings.quita_outbox_lease_seconds,
        refusals=refusals,
    )
    service.on_commit(outbox.wake)

    app = web.Application(middlewares=[security_headers], client_max_size=1024**2)
    app[chat.HUB_KEY] = hub
    app[chat.SERVICE_KEY] = service
    app[chat.DB_KEY] = db
    app[chat.CLOCK_KEY] = clock
    app[health.DB_KEY] = db
    app.add_routes(health.health_routes())
    app.add_routes(chat.chat_routes())

    quita = Quita(settings, db, policy, clock, service, outbox, hub, app)
    quita.background.append(outbox.run)
    quita.background.append(_start_drawing)
    return quita


async def _start_drawing(_: asyncio.Event) -> None:
    """The QR drawing process starts with the server, not at the first agreement."""
    await outbound_media.start()


async def serve(quita: Quita, stop: asyncio.Event, *, ready: asyncio.Event | None = None) -> None:
    """Run the web server, workers and channels until `stop` is set, then shut down cleanly:
    stop intake first, let in-flight events and sends finish, then close the database."""
    settings = quita.settings
    runner = web.AppRunner(quita.web_app, handle_signals=False, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, settings.quita_http_host, settings.quita_http_port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        raise StartupError(
            f"QUITA_HTTP_PORT: cannot listen on {settings.quita_http_host}:"
            f"{settings.quita_http_port} ({error.strerror}); pick a free port"
        ) from None
    quita.bound_port = _bound_port(runner)
    worker_stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    started: list[Callable[[], Awaitable[None]]] = []
    try:
        for start, stop_it in quita.startables:
            await start()
            started.append(stop_it)
        tasks = [asyncio.create_task(run(worker_stop)) for run in quita.background]
        log.info("serving on port %s", quita.bound_port)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        log.info("shutting down")
        for stop_it in reversed(started):
            await stop_it()
        await site.stop()
        await quita.hub.close_all()
        await runner.cleanup()
        worker_stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await outbound_media.shutdown()  # after the outbox, which may still draw a QR
        await quita.db.dispose()


def _bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None
