"""Canned responses: short ready answers for the agent console's reply box."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from storage.models import metadata
from storage.repositories.base import Repository
from storage.types import utc_now

t = metadata.tables["canned_response"]


@dataclass(frozen=True, slots=True)
class CannedResponseRow:
    id: int
    title: str
    text: str
    updated_by: int | None
    updated_at: datetime


class SqlCannedResponses(Repository):
    """Not on `UnitOfWork`: the console builds it from `tx.connection` and `tx.dialect`."""

    __slots__ = ()

    async def list_all(self) -> list[CannedResponseRow]:
        rows = (await self.conn.execute(select(t).order_by(t.c.title))).mappings()
        return [
            CannedResponseRow(r["id"], r["title"], r["text"], r["updated_by"], r["updated_at"])
            for r in rows
        ]

    async def add(
        self, title: str, text: str, agent_id: int, *, now: datetime | None = None
    ) -> int:
        stmt = (
            insert(t)
            .values(title=title, text=text, updated_by=agent_id, updated_at=now or utc_now())
            .returning(t.c.id)
        )
        new_id: int = (await self.conn.execute(stmt)).scalar_one()
        return new_id

    async def change(
        self, response_id: int, title: str, text: str, agent_id: int, *, now: datetime | None = None
    ) -> bool:
        stmt = (
            update(t)
            .where(t.c.id == response_id)
            .values(title=title, text=text, updated_by=agent_id, updated_at=now or utc_now())
        )
        return bool((await self.conn.execute(stmt)).rowcount)

    async def remove(self, response_id: int) -> bool:
        return bool((await self.conn.execute(delete(t).where(t.c.id == response_id))).rowcount)
