"""Contacts: a channel address, the debtor it belongs to, and what we may do with it.

Verification, lock-out after failed checks, unreachable (blocked the bot) and opt-out all
live here, per address, because each is a fact about that chat handle, not the person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update

from storage import tables
from storage.prepared import Prepared, bound
from storage.repositories.base import Repository, insert_or_ignore
from storage.rows import ContactRow
from storage.types import utc_now

t = tables.contact

# A new chat creates its contact, and verification links it: prepared, run on the driver.
_BY_ADDRESS = Prepared(
    select(t).where(t.c.channel == bindparam("k_channel"), t.c.address == bindparam("k_address"))
)
# Returns the new row: a new contact is one statement, only an existing one is read after.
_CREATE = Prepared(
    lambda dialect: insert_or_ignore(dialect, t, ("channel", "address"), tuple(t.c.keys())).values(
        bound("channel", "address", "locale", "failed_attempts", "created_at")
    )
)
_LINK = Prepared(update(t).where(t.c.id == bindparam("k_id")).values(bound("debtor_id")))
_MARK_VERIFIED = Prepared(
    update(t)
    .where(t.c.id == bindparam("k_id"))
    .values(failed_attempts=0, locked_until=None, **bound("debtor_id", "verified_at"))
)


class SqlContacts(Repository):
    __slots__ = ()

    async def get(self, contact_id: int) -> ContactRow | None:
        found = (await self.conn.execute(select(t).where(t.c.id == contact_id))).mappings().first()
        return None if found is None else ContactRow.from_row(found)

    async def by_address(self, channel: str, address: str) -> ContactRow | None:
        found = await self.conn.fetch(_BY_ADDRESS, {"k_channel": channel, "k_address": address})
        return ContactRow.from_row(found[0]) if found else None

    async def get_or_create(
        self,
        channel: str,
        address: str,
        *,
        locale: str | None = None,
        now: datetime | None = None,
    ) -> ContactRow:
        values = {
            "channel": channel,
            "address": address,
            "locale": locale,
            "failed_attempts": 0,
            "created_at": now or utc_now(),
        }
        created = await self.conn.fetch(_CREATE, values)
        if created:
            return ContactRow.from_row(created[0])
        found = await self.by_address(channel, address)
        if found is None:  # pragma: no cover - the insert or the conflict guarantees a row
            raise RuntimeError("contact vanished right after creation")
        return found

    async def for_debtor(self, debtor_id: int) -> list[ContactRow]:
        stmt = select(t).where(t.c.debtor_id == debtor_id).order_by(t.c.id)
        return [ContactRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]

    async def link(self, contact_id: int, debtor_id: int) -> None:
        """Attach the address to a debtor (not yet verified)."""
        await self.conn.run(_LINK, {"k_id": contact_id, "debtor_id": debtor_id})

    async def mark_verified(self, contact_id: int, debtor_id: int, now: datetime) -> None:
        """The person proved who they are: link, verify and forget past failures."""
        params = {"k_id": contact_id, "debtor_id": debtor_id, "verified_at": now}
        await self.conn.run(_MARK_VERIFIED, params)

    async def record_failed_attempt(self, contact_id: int) -> int:
        """Count a failed verification; returns the count so far."""
        stmt = (
            update(t)
            .where(t.c.id == contact_id)
            .values(failed_attempts=t.c.failed_attempts + 1)
            .returning(t.c.failed_attempts)
        )
        count: int = (await self.conn.execute(stmt)).scalar_one()
        return count

    async def lock(self, contact_id: int, until: datetime) -> None:
        await self._set(contact_id, locked_until=until)

    async def mark_unreachable(
        self, channel: str, address: str, reason: str, now: datetime
    ) -> None:
        """The platform says we cannot write there (blocked, no such user)."""
        stmt = (
            update(t)
            .where(t.c.channel == channel, t.c.address == address)
            .values(unreachable_at=now, unreachable_reason=reason)
        )
        await self.conn.execute(stmt)

    async def mark_reachable(self, contact_id: int) -> None:
        """The debtor wrote again, so the address works."""
        await self._set(contact_id, unreachable_at=None, unreachable_reason=None)

    async def set_opted_out(self, contact_id: int, opted_out: bool, now: datetime) -> None:
        await self._set(contact_id, opted_out_at=now if opted_out else None)

    async def set_locale(self, contact_id: int, locale: str) -> None:
        await self._set(contact_id, locale=locale)

    async def _set(self, contact_id: int, **values: object) -> None:
        await self.conn.execute(update(t).where(t.c.id == contact_id).values(**values))
