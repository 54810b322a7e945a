"""Agents, their server-side sessions, and the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from tests.storage.helpers import NOW


async def test_agents_are_found_by_email_and_emails_are_unique(db: Database) -> None:
    async with db.transaction() as tx:
        agent_id = await tx.agents.add("Ana@Example.com ", "Ana", "hash", "supervisor", now=NOW)
        found = await tx.agents.by_email("ana@example.com")
    assert found is not None
    assert (found.id, found.role, found.active) == (
        agent_id,
        "supervisor",
        True,
    )
    with pytest.raises(IntegrityError):
        async with db.transaction() as tx:
            await tx.agents.add("ana@example.com", "Other Ana", "hash")


async def test_login_failures_lock_and_reset(db: Database) -> None:
    async with db.transaction() as tx:
        agent_id = await tx.agents.add("bia@example.com", "Bia", "hash", now=NOW)
        assert await tx.agents.record_login_failure(agent_id, None) == 1
        assert await tx.agents.record_login_failure(agent_id, NOW + timedelta(minutes=15)) == 2
        locked = await tx.agents.get(agent_id)
        await tx.agents.reset_login_failures(agent_id)
        await tx.agents.update(agent_id, active=False, role="admin")
        reset = await tx.agents.get(agent_id)
    assert locked is not None
    assert locked.locked_until == NOW + timedelta(minutes=15)
    assert reset is not None
    assert (reset.failed_logins, reset.active, reset.role) == (
        0,
        False,
        "admin",
    )


async def test_sessions_expire_and_can_be_revoked(db: Database) -> None:
    async with db.transaction() as tx:
        agent_id = await tx.agents.add("cris@example.com", "Cris", "hash", now=NOW)
        await tx.sessions.create("s1", agent_id, "csrf1", NOW + timedelta(hours=8), now=NOW)
        await tx.sessions.create("s2", agent_id, "csrf2", NOW + timedelta(minutes=1), now=NOW)
        live = await tx.sessions.get("s1", NOW + timedelta(hours=1))
        assert await tx.sessions.get("s2", NOW + timedelta(hours=1)) is None
        assert await tx.sessions.purge_expired(NOW + timedelta(hours=1)) == 1
        await tx.sessions.delete("s1")
        assert await tx.sessions.get("s1", NOW) is None
    assert live is not None
    assert (live.agent_id, live.csrf_token) == (agent_id, "csrf1")


async def test_audit_entries_are_kept_newest_first(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.audit.record("system", "import", "file:debts.csv", {"rows": 10}, now=NOW)
        await tx.audit.record("3", "claim", "conversation:7", now=NOW + timedelta(seconds=1))
        entries = await tx.audit.recent()
        for_chat = await tx.audit.recent(target="conversation:7")
    assert [(e.actor, e.action, e.detail) for e in entries] == [
        ("3", "claim", {}),
        ("system", "import", {"rows": 10}),
    ]
    assert [e.action for e in for_chat] == ["claim"]
