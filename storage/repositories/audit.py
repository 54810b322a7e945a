"""The audit log: who did what to which record, append-only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from storage import tables
from storage.repositories.base import Repository
from storage.rows import AuditRow
from storage.types import dump_json, utc_now

t = tables.audit_log


class SqlAudit(Repository):
    __slots__ = ()

    async def record(
        self,
        actor: str,
        action: str,
        target: str = "",
        detail: Mapping[str, Any] | None = None,
        *,
        now: datetime | None = None,
    ) -> int:
        """Append an entry; `actor` is an agent id or "system"; no personal data in `detail`."""
        stmt = (
            insert(t)
            .values(
                at=now or utc_now(),
                actor=actor,
                action=action,
                target=target,
                detail=dump_json(dict(detail or {})),
            )
            .returning(t.c.id)
        )
        entry_id: int = (await self.conn.execute(stmt)).scalar_one()
        return entry_id

    async def recent(self, *, target: str | None = None, limit: int = 100) -> list[AuditRow]:
        stmt = select(t).order_by(t.c.id.desc()).limit(limit)
        if target is not None:
            stmt = stmt.where(t.c.target == target)
        return [AuditRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]
