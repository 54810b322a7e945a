"""Agent accounts: creation (CLI, tests) and login with throttling.

Five wrong passwords in a row lock the account for `LOCK_MINUTES`; a locked account is
refused before its password is even checked, and every outcome says the same neutral thing
to the browser, so nobody learns which e-mails exist.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.web.console.passwords import hash_password, needs_rehash, verify_password
from storage import Database
from storage.enums import AgentRole
from storage.rows import AgentRow

MAX_FAILURES = 5
LOCK_MINUTES = 15


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class LoginResult:
    outcome: LoginOutcome
    agent: AgentRow | None = None


async def add_agent(
    db: Database, email: str, name: str, role: str, password: str, *, now: datetime
) -> int:
    """Create an account (argon2id hash); raises ValueError on a bad role or short password."""
    role = str(AgentRole(role))
    password_hash = hash_password(password)
    async with db.transaction() as tx:
        if await tx.agents.by_email(email) is not None:
            raise ValueError(f"an agent with e-mail {email.strip().lower()} already exists")
        agent_id = await tx.agents.add(email, name, password_hash, role, now=now)
        await tx.audit.record("system", "agent.add", f"agent:{agent_id}", {"role": role}, now=now)
    return agent_id


async def email_taken(db: Database, email: str) -> bool:
    async with db.transaction(write=False) as tx:
        return await tx.agents.by_email(email) is not None


async def authenticate(db: Database, email: str, password: str, now: datetime) -> LoginResult:
    async with db.transaction() as tx:
        agent = await tx.agents.by_email(email)
        if agent is None or not agent.active:
            verify_password(None, password)
            return LoginResult(LoginOutcome.INVALID)
        if agent.locked_until is not None and agent.locked_until > now:
            return LoginResult(LoginOutcome.LOCKED)
        if not verify_password(agent.password_hash, password):
            failures = agent.failed_logins + 1
            lock = now + timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILURES else None
            await tx.agents.record_login_failure(agent.id, lock)
            await tx.audit.record("agent:" + str(agent.id), "login.failed", now=now)
            return LoginResult(LoginOutcome.LOCKED if lock else LoginOutcome.INVALID)
        await tx.agents.reset_login_failures(agent.id)
        if needs_rehash(agent.password_hash):
            await tx.agents.update(agent.id, password_hash=hash_password(password))
        await tx.audit.record("agent:" + str(agent.id), "login", now=now)
    return LoginResult(LoginOutcome.OK, agent)
