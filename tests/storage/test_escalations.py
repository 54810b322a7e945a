"""Escalations: the queue order, and exactly one winner when agents race for a chat."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.database import Database
from tests.storage.helpers import NOW, new_conversation


async def add_agent(db: Database, email: str) -> int:
    async with db.transaction() as tx:
        return await tx.agents.add(email, email.partition("@")[0], "argon2-hash", now=NOW)


async def test_two_agents_claiming_at_once_produce_exactly_one_winner(db: Database) -> None:
    conv = await new_conversation(db)
    ana, bia = await add_agent(db, "ana@x.com"), await add_agent(db, "bia@x.com")
    async with db.transaction() as tx:
        escalation_id = await tx.escalations.open(conv.id, "asked_for_human", "Quer falar", 1)

    async def claim(agent_id: int) -> bool:
        async with db.transaction() as tx:
            return await tx.escalations.claim(escalation_id, agent_id, now=NOW)

    results = await asyncio.gather(claim(ana), claim(bia), claim(ana), claim(bia))
    assert results.count(True) == 1
    async with db.transaction(write=False) as tx:
        escalation = await tx.escalations.get(escalation_id)
        assert await tx.escalations.list_open() == []
    assert escalation is not None
    assert escalation.status == "claimed"
    assert escalation.agent_id in (ana, bia)


async def test_the_queue_lists_open_escalations_by_priority_then_age(db: Database) -> None:
    convs = [await new_conversation(db, str(n)) for n in range(3)]
    async with db.transaction() as tx:
        low = await tx.escalations.open(convs[0].id, "stalled", "", 0, now=NOW)
        urgent = await tx.escalations.open(
            convs[1].id, "dispute", "", 5, now=NOW + timedelta(minutes=1)
        )
        older_low = await tx.escalations.open(
            convs[2].id, "stalled", "", 0, now=NOW - timedelta(minutes=1)
        )
        assert await tx.escalations.close(low, now=NOW)
        assert not await tx.escalations.close(low, now=NOW)
        assert [e.id for e in await tx.escalations.list_open()] == [urgent, older_low]
        active = await tx.escalations.active_for_conversation(convs[1].id)
    assert active is not None
    assert active.id == urgent
