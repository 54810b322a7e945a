"""Escalations: chats waiting for a human, and which agent took each one.

Claiming is one conditional UPDATE, so when two agents click at once exactly one wins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from storage import tables
from storage.enums import EscalationStatus
from storage.repositories.base import Repository
from storage.rows import EscalationRow
from storage.types import utc_now

t = tables.escalation


class SqlEscalations(Repository):
    __slots__ = ()

    async def open(
        self,
        conversation_id: int,
        reason: str,
        summary: str,
        priority: int = 0,
        *,
        now: datetime | None = None,
    ) -> int:
        stmt = (
            insert(t)
            .values(
                conversation_id=conversation_id,
                reason=reason,
                summary=summary,
                priority=priority,
                status=EscalationStatus.OPEN.value,
                created_at=now or utc_now(),
            )
            .returning(t.c.id)
        )
        escalation_id: int = (await self.conn.execute(stmt)).scalar_one()
        return escalation_id

    async def claim(
        self, escalation_id: int, agent_id: int, *, now: datetime | None = None
    ) -> bool:
        """Take an open escalation; False if someone else already has it (or it is closed)."""
        stmt = (
            update(t)
            .where(t.c.id == escalation_id, t.c.status == EscalationStatus.OPEN.value)
            .values(
                status=EscalationStatus.CLAIMED.value,
                agent_id=agent_id,
                claimed_at=now or utc_now(),
            )
        )
        return bool((await self.conn.execute(stmt)).rowcount)

    async def reassign(self, escalation_id: int, agent_id: int) -> bool:
        """Give a claimed escalation to another agent (supervisors); False if not claimed."""
        stmt = (
            update(t)
            .where(t.c.id == escalation_id, t.c.status == EscalationStatus.CLAIMED.value)
            .values(agent_id=agent_id)
        )
        return bool((await self.conn.execute(stmt)).rowcount)

    async def close(self, escalation_id: int, *, now: datetime | None = None) -> bool:
        stmt = (
            update(t)
            .where(t.c.id == escalation_id, t.c.status != EscalationStatus.CLOSED.value)
            .values(status=EscalationStatus.CLOSED.value, closed_at=now or utc_now())
        )
        return bool((await self.conn.execute(stmt)).rowcount)

    async def get(self, escalation_id: int) -> EscalationRow | None:
        found = (await self.conn.execute(select(t).where(t.c.id == escalation_id))).mappings()
        row = found.first()
        return None if row is None else EscalationRow.from_row(row)

    async def list_open(self) -> list[EscalationRow]:
        """The queue: highest priority first, then oldest first."""
        stmt = (
            select(t)
            .where(t.c.status == EscalationStatus.OPEN.value)
            .order_by(t.c.priority.desc(), t.c.created_at, t.c.id)
        )
        return [EscalationRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]

    async def active_for_conversation(self, conversation_id: int) -> EscalationRow | None:
        """The open or claimed escalation of a chat, if any."""
        stmt = (
            select(t)
            .where(
                t.c.conversation_id == conversation_id,
                t.c.status != EscalationStatus.CLOSED.value,
            )
            .order_by(t.c.id.desc())
            .limit(1)
        )
        found = (await self.conn.execute(stmt)).mappings().first()
        return None if found is None else EscalationRow.from_row(found)
