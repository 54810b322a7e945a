"""Console agents and their server-side sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update

from storage import tables
from storage.enums import AgentRole
from storage.repositories.base import Repository
from storage.rows import AgentRow, AgentSessionRow
from storage.types import utc_now

agent_t = tables.agent
session_t = tables.agent_session


class SqlAgents(Repository):
    __slots__ = ()

    async def add(
        self,
        email: str,
        name: str,
        password_hash: str,
        role: str = AgentRole.AGENT,
        *,
        now: datetime | None = None,
    ) -> int:
        stmt = (
            insert(agent_t)
            .values(
                email=email.strip().lower(),
                name=name,
                role=str(AgentRole(role)),
                password_hash=password_hash,
                active=True,
                failed_logins=0,
                created_at=now or utc_now(),
            )
            .returning(agent_t.c.id)
        )
        agent_id: int = (await self.conn.execute(stmt)).scalar_one()
        return agent_id

    async def get(self, agent_id: int) -> AgentRow | None:
        found = await self.conn.execute(select(agent_t).where(agent_t.c.id == agent_id))
        row = found.mappings().first()
        return None if row is None else AgentRow.from_row(row)

    async def by_email(self, email: str) -> AgentRow | None:
        stmt = select(agent_t).where(agent_t.c.email == email.strip().lower())
        row = (await self.conn.execute(stmt)).mappings().first()
        return None if row is None else AgentRow.from_row(row)

    async def list_all(self) -> list[AgentRow]:
        stmt = select(agent_t).order_by(agent_t.c.name, agent_t.c.id)
        return [AgentRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]

    async def record_login_failure(self, agent_id: int, lock_until: datetime | None) -> int:
        """Count a failed login (and lock the account until `lock_until` if given)."""
        values: dict[str, object] = {"failed_logins": agent_t.c.failed_logins + 1}
        if lock_until is not None:
            values["locked_until"] = lock_until
        stmt = (
            update(agent_t)
            .where(agent_t.c.id == agent_id)
            .values(**values)
            .returning(agent_t.c.failed_logins)
        )
        count: int = (await self.conn.execute(stmt)).scalar_one()
        return count

    async def reset_login_failures(self, agent_id: int) -> None:
        await self.conn.execute(
            update(agent_t)
            .where(agent_t.c.id == agent_id)
            .values(failed_logins=0, locked_until=None)
        )

    async def update(
        self,
        agent_id: int,
        *,
        name: str | None = None,
        role: str | None = None,
        password_hash: str | None = None,
        active: bool | None = None,
    ) -> None:
        values: dict[str, object] = {}
        if name is not None:
            values["name"] = name
        if role is not None:
            values["role"] = str(AgentRole(role))
        if password_hash is not None:
            values["password_hash"] = password_hash
        if active is not None:
            values["active"] = active
        if values:
            await self.conn.execute(
                update(agent_t).where(agent_t.c.id == agent_id).values(**values)
            )


class SqlSessions(Repository):
    __slots__ = ()

    async def create(
        self,
        session_id: str,
        agent_id: int,
        csrf_token: str,
        expires_at: datetime,
        *,
        now: datetime | None = None,
    ) -> None:
        await self.conn.execute(
            insert(session_t).values(
                id=session_id,
                agent_id=agent_id,
                csrf_token=csrf_token,
                expires_at=expires_at,
                created_at=now or utc_now(),
            )
        )

    async def get(self, session_id: str, now: datetime) -> AgentSessionRow | None:
        """The session if it exists and has not expired."""
        stmt = select(session_t).where(session_t.c.id == session_id, session_t.c.expires_at > now)
        row = (await self.conn.execute(stmt)).mappings().first()
        return None if row is None else AgentSessionRow.from_row(row)

    async def delete(self, session_id: str) -> None:
        await self.conn.execute(delete(session_t).where(session_t.c.id == session_id))

    async def delete_for_agent(self, agent_id: int) -> None:
        await self.conn.execute(delete(session_t).where(session_t.c.agent_id == agent_id))

    async def purge_expired(self, now: datetime) -> int:
        result = await self.conn.execute(delete(session_t).where(session_t.c.expires_at <= now))
        return int(result.rowcount)
