"""`quita bench` on the service path: every scripted message handled, every reply delivered."""

from __future__ import annotations

import re

import pytest

from bot.bench import bench, script_for

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


_DELIVERED = re.compile(r"outbox: ([\d,]+) replies delivered")
