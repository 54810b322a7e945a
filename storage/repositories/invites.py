"""Deep-link invite tokens: stored only as a SHA-256 hash, redeemable once, until expiry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from storage import tables
from storage.enums import InviteOutcome
from storage.repositories.base import Repository
from storage.types import utc_now

t = tables.invite_token


class SqlInvites(Repository):
    __slots__ = ()

    async def create(
        self,
        debtor_id: int,
        token_hash: str,
        expires_at: datetime,
        *,
        now: datetime | None = None,
    ) -> int:
        stmt = (
            insert(t)
            .values(
                debtor_id=debtor_id,
                token_hash=token_hash,
                expires_at=expires_at,
                created_at=now or utc_now(),
            )
            .returning(t.c.id)
        )
        invite_id: int = (await self.conn.execute(stmt)).scalar_one()
        return invite_id

    async def redeem(self, token_hash: str, now: datetime) -> tuple[InviteOutcome, int | None]:
        """Use the token; the debtor id comes back only when the outcome is `ok`.

        The use is one conditional UPDATE, so two simultaneous redemptions cannot both win.
        """
        stmt = (
            update(t)
            .where(t.c.token_hash == token_hash, t.c.used_at.is_(None), t.c.expires_at > now)
            .values(used_at=now)
            .returning(t.c.debtor_id)
        )
        debtor_id = (await self.conn.execute(stmt)).scalar_one_or_none()
        if debtor_id is not None:
            return InviteOutcome.OK, int(debtor_id)
        found = (
            await self.conn.execute(select(t.c.used_at).where(t.c.token_hash == token_hash))
        ).first()
        if found is None:
            return InviteOutcome.UNKNOWN, None
        if found.used_at is not None:
            return InviteOutcome.USED, None
        return InviteOutcome.EXPIRED, None
