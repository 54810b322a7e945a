"""The agent console: a secure web inbox where people take over escalated chats, live.

`attach_console(quita)` mounts it at /console on Quita's web app. See docs/console.md.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.app import Quita
from bot.settings import DEFAULT_POLICY
from bot.web.console.actions import ActionRefusedError, Console
from bot.web.console.guard import CONSOLE_KEY
from bot.web.console.i18n import install
from bot.web.console.live import close_all
from bot.web.console.routes import console_routes

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

__all__ = ["ActionRefusedError", "Console", "attach_console", "console_app"]


def console_app(console: Console) -> web.Application:
    app = web.Application()
    app[CONSOLE_KEY] = console
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    )
    install(environment)
    app.add_routes(console_routes())
    return app


def attach_console(quita: Quita) -> None:
    """Mount /console and close its live sockets before the server stops."""
    public = quita.settings.quita_public_url
    policy_file = quita.settings.quita_policy_file.resolve()
    console = Console(
        db=quita.db,
        service=quita.service,
        clock=quita.clock,
        notifier=quita.service.notifier,
        secure_cookies=public is not None and str(public).startswith("https://"),
        # The bundled example is documentation, not a creditor's policy: never edited here.
        policy_file=None if policy_file == DEFAULT_POLICY else policy_file,
        apply_policy=quita.replace_policy,
    )
    quita.web_app.add_subapp("/console", console_app(console))

    async def start() -> None:
        return None

    async def stop() -> None:
        await close_all(console.sockets)

    quita.startables.append((start, stop))
