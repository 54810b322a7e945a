"""Server-side console sessions and CSRF tokens.

The browser holds only a random token in an HttpOnly, SameSite=Strict cookie (Secure behind
https); the database keeps its SHA-256, so a leaked table cannot be replayed. Every
state-changing request carries the session's CSRF token (form field or header).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from storage import Database
from storage.rows import AgentRow

COOKIE = "quita_console"
LOGIN_CSRF_COOKIE = "quita_console_login"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
LIFETIME = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class AgentSession:
    session_id: str
    csrf_token: str
    agent: AgentRow

    @property
    def actor(self) -> str:
        return f"agent:{self.agent.id}"


def _stored_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(db: Database, agent_id: int, now: datetime) -> tuple[str, str]:
    """A new session for the agent; returns (cookie token, csrf token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    async with db.transaction() as tx:
        await tx.sessions.purge_expired(now)
        await tx.sessions.create(_stored_id(token), agent_id, csrf, now + LIFETIME, now=now)
    return token, csrf


async def load_session(db: Database, request: web.Request, now: datetime) -> AgentSession | None:
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 128:
        return None
    async with db.transaction(write=False) as tx:
        row = await tx.sessions.get(_stored_id(token), now)
        if row is None:
            return None
        agent = await tx.agents.get(row.agent_id)
    if agent is None or not agent.active:
        return None
    return AgentSession(row.id, row.csrf_token, agent)


async def close_session(db: Database, session: AgentSession) -> None:
    async with db.transaction() as tx:
        await tx.sessions.delete(session.session_id)


def set_session_cookie(response: web.StreamResponse, token: str, *, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(LIFETIME.total_seconds()),
        path="/console",
        httponly=True,
        secure=secure,
        samesite="Strict",
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/console")


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
