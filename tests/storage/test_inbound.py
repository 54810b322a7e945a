"""The durable inbox keeps each platform update once and lists what is still unhandled."""

from __future__ import annotations

from storage.database import Database
from tests.storage.helpers import NOW


async def test_updates_are_recorded_once_and_listed_until_processed(db: Database) -> None:
    async with db.transaction() as tx:
        first = await tx.inbound.record("telegram", "1001", '{"update_id": 1001}', now=NOW)
        repeat = await tx.inbound.record("telegram", "1001", '{"update_id": 1001}', now=NOW)
        second = await tx.inbound.record("whatsapp", "wamid.X", '{"entry": []}', now=NOW)
    assert first is not None
    assert second is not None
    assert repeat is None
    async with db.transaction() as tx:
        assert [r.external_id for r in await tx.inbound.pending()] == ["1001", "wamid.X"]
        await tx.inbound.mark_processed(first, now=NOW)
        await tx.inbound.mark_processed(second, error="unsupported message type", now=NOW)
    async with db.transaction(write=False) as tx:
        assert await tx.inbound.pending() == []
