"""`quita bench` on the service path: every scripted message handled, every reply delivered."""

from __future__ import annotations

import re
from collections.abc import Coroutine, Sequence
from typing import Any

import pytest
from sqlalchemy import text

from bot.bench import bench, script_for
from bot.bench.figures import Figures
from storage import Database

DEBTORS = 4


@pytest.mark.parametrize("deliver_during_runs", [True, False], ids=["during", "after"])
async def test_the_bench_runs_every_conversation_and_waits_for_every_reply(
    database_url: str, deliver_during_runs: bool
) -> None:
    lines: list[str] = []

    capacity, at_rate, *replies_out, baseline = await bench(
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
    if deliver_during_runs:
        # Every scripted message is answered, and a reply goes out only after its event is
        # committed: the wait for replies includes the wait for the commit.
        (out,) = replies_out
        assert len(out.latencies_ms) == events
        assert out.percentile(50) >= at_rate.percentile(50)
        assert out.collector_pauses_ms is at_rate.collector_pauses_ms  # the same run's
    else:
        assert replies_out == []
        # Nothing is delivered during the runs, so no QR code is drawn during them either.
        assert capacity.drawing_cpu_seconds == at_rate.drawing_cpu_seconds == 0
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


async def test_several_processes_measure_the_service_path_alone(database_url: str) -> None:
    """`--processes 2 --deliver-after`: both runs split over two processes, each delivering
    only after its share of a run; every reply still goes out once."""
    lines: list[str] = []

    def run() -> Coroutine[Any, Any, Sequence[Figures]]:
        return bench(
            database_url,
            DEBTORS,
            500.0,
            lines.append,
            lambda _done: None,
            processes=2,
            deliver_during_runs=False,
        )

    if not database_url.startswith("postgresql"):
        with pytest.raises(ValueError, match="several processes need PostgreSQL"):
            await run()
        return
    capacity, at_rate, _ = await run()

    events = DEBTORS * len(script_for(0))
    assert capacity.events == at_rate.events == events
    assert len(at_rate.latencies_ms) == events
    sent, unsent = await _outbox_counts(database_url)
    assert unsent == 0
    assert sent == 2 * 15 * DEBTORS  # both runs' conversations, 15 replies each
    assert await _vacuumed_tables(database_url) >= {"conversation", "message", "outbox"}


async def _outbox_counts(url: str) -> tuple[int, int]:
    db = Database(url)
    try:
        async with db.transaction(write=False) as tx:
            query = text(
                "SELECT count(*) FILTER (WHERE status = 'sent'), "
                "count(*) FILTER (WHERE status <> 'sent') FROM outbox"
            )
            sent, other = (await tx.connection.execute(query)).one()
            return int(sent), int(other)
    finally:
        await db.dispose()
