"""`quita bench` on the service path: every scripted message handled, every reply delivered."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from bot.bench import bench, script_for
from storage import Database

DEBTORS = 4


@pytest.mark.parametrize("deliver_during_runs", [True, False], ids=["during", "after"])
async def test_the_bench_runs_every_conversation_and_waits_for_every_reply(
    database_url: str, deliver_during_runs: bool
) -> None:
    lines: list[str] = []

    capacity, at_rate, baseline = await bench(
        database_url,
        DEBTORS,
        500.0,
        lines.append,
        lambda _done: None,
        deliver_during_runs=deliver_during_runs,
    )

    events = DEBTORS * len(script_for(0))
    for figures in (capacity, at_rate, baseline):
        assert figures.events == events
        assert len(figures.latencies_ms) == events
        assert figures.seconds > 0
    # Each storage run is followed by the outbox draining everything it committed: the
    # second total includes the first, and the open loop's debtors got their replies too.
    delivered = [int(m.group(1).replace(",", "")) for m in map(_DELIVERED.match, lines) if m]
    assert len(delivered) == 2
    assert 0 < delivered[0] < delivered[1]
    assert delivered[1] - delivered[0] == delivered[0]  # same script, same replies
    if database_url.startswith("postgresql"):
        # Vacuumed before the runs, so autovacuum's first pass over the new rows does not
        # land in one of them.
        assert await _vacuumed_tables(database_url) >= {"conversation", "message", "outbox"}


async def _vacuumed_tables(url: str) -> set[str]:
    db = Database(url)
    try:
        async with db.transaction(write=False) as tx:
            query = text("SELECT relname FROM pg_stat_user_tables WHERE last_vacuum IS NOT NULL")
            return set((await tx.connection.execute(query)).scalars())
    finally:
        await db.dispose()


_DELIVERED = re.compile(r"outbox: ([\d,]+) replies delivered")
