"""Every console route passes here: a live session, the right role, and — for anything that
changes state — the session's CSRF token. Pages are never cached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web.console.actions import Console
from bot.web.console.roles import Role, at_least
from bot.web.console.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    AgentSession,
    load_session,
    tokens_match,
)

CONSOLE_KEY = web.AppKey("console", Console)
SESSION_KEY = web.RequestKey("console_session", AgentSession)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def console_of(request: web.Request) -> Console:
    return request.config_dict[CONSOLE_KEY]


def session_of(request: web.Request) -> AgentSession:
    session: AgentSession = request[SESSION_KEY]
    return session


def requires(role: Role) -> Callable[[Handler], Handler]:
    """Decorate a handler: 401→login page without a session, 403 below `role`, and 403 for a
    state-changing request without the right CSRF token."""

    def wrap(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            console = console_of(request)
            session = await load_session(console.db, request, console.clock.now())
            if session is None:
                if request.method == "GET" and "fragment" not in request.path:
                    raise web.HTTPSeeOther("/console/login")
                raise web.HTTPUnauthorized(text="login required")
            if not at_least(session.agent.role, role):
                raise web.HTTPForbidden(text="not allowed for your role")
            if request.method not in ("GET", "HEAD"):
                given = request.headers.get(CSRF_HEADER)
                if given is None and request.content_type in (
                    "application/x-www-form-urlencoded",
                    "multipart/form-data",
                ):
                    form = await request.post()
                    value = form.get(CSRF_FIELD)
                    given = value if isinstance(value, str) else None
                if not tokens_match(session.csrf_token, given):
                    raise web.HTTPForbidden(text="missing or wrong CSRF token")
            request[SESSION_KEY] = session
            response = await handler(request)
            response.headers["Cache-Control"] = "no-store"
            return response

        guarded.__name__ = handler.__name__
        guarded.__doc__ = handler.__doc__
        return guarded

    return wrap
