"""After start-up the collector leaves the start-up heap alone, collects only the young
generation on its own, and a periodic sweep frees the cycles that outlived a young collection."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from bot.heap import YOUNG_GENERATION_THRESHOLD, settle_after_startup, sweep, sweep_periodically


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class _Node:
    """A cycle's member that can be watched with a weak reference."""

    def __init__(self) -> None:
        self.other: Any = self


def _cycle() -> tuple[_Node, weakref.ref[_Node]]:
    node = _Node()
    return node, weakref.ref(node)


def _allocate_past_young_collections(times: int) -> list[list[int]]:
    """Keep enough new container objects alive to set off `times` young collections."""
    return [[n] for n in range(YOUNG_GENERATION_THRESHOLD * times + 1)]


@pytest.mark.usefixtures("restored_gc")
def test_objects_alive_at_startup_are_left_out_of_later_collections() -> None:
    long_lived = [[n] for n in range(1000)]  # lists: always tracked by the collector

    settle_after_startup()

    collectable = {id(item) for item in gc.get_objects()}  # what a collection would walk
    assert gc.get_freeze_count() >= len(long_lived)
    assert not collectable & {id(item) for item in long_lived}
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD


@pytest.mark.usefixtures("restored_gc")
def test_only_young_collections_run_on_their_own_however_much_lives_on() -> None:
    settle_after_startup()
    generations: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            generations.append(info["generation"])

    gc.callbacks.append(record)
    try:
        kept = _allocate_past_young_collections(25)  # survivors: what caches and chats keep
    finally:
        gc.callbacks.remove(record)

    assert len(kept) > 25 * YOUNG_GENERATION_THRESHOLD
    assert len(generations) >= 20  # by default, every tenth would walk the middle generation
    assert set(generations) == {0}


@pytest.mark.usefixtures("restored_gc")
def test_a_young_cycle_is_still_freed_by_the_automatic_collections() -> None:
    settle_after_startup()
    node, watched = _cycle()
    del node

    _allocate_past_young_collections(1)

    assert watched() is None


@pytest.mark.usefixtures("restored_gc")
def test_the_sweep_frees_a_cycle_that_outlived_a_young_collection() -> None:
    settle_after_startup()
    node, watched = _cycle()
    gc.collect(0)  # it is alive: it moves on to the middle generation
    del node
    _allocate_past_young_collections(3)
    assert watched() is not None  # no automatic collection looks there

    swept = sweep()

    assert watched() is None
    assert swept.unreachable >= 1
    assert swept.seconds > 0


@pytest.mark.usefixtures("restored_gc")
async def test_the_server_sweeps_periodically_until_stopped() -> None:
    settle_after_startup()
    freed = asyncio.Event()
    node = _Node()
    gc.collect(0)
    watched = weakref.ref(node, lambda _: freed.set())
    del node
    stop = asyncio.Event()
    sweeper = asyncio.create_task(sweep_periodically(stop, interval_seconds=0.01))

    await asyncio.wait_for(freed.wait(), timeout=10)
    stop.set()
    await asyncio.wait_for(sweeper, timeout=10)

    assert watched() is None


@pytest.mark.usefixtures("restored_gc")
async def test_a_bench_run_leaves_what_the_bench_built_out_of_its_collections() -> None:
    from bot.bench import Figures, measured

    workload = [[n] for n in range(1000)]  # like each debtor's script
    walked: set[int] = set()

    async def run() -> None:
        walked.update(id(item) for item in gc.get_objects())

    await measured(Figures("probe", 0, 0.0), len(workload), run, None)

    assert not walked & {id(item) for item in workload}


@pytest.mark.usefixtures("restored_gc")
async def test_a_bench_run_reports_each_collection_that_paused_it() -> None:
    from bot.bench import Figures, measured

    kept: list[list[list[int]]] = []

    async def run() -> None:
        kept.append(_allocate_past_young_collections(3))

    figures = await measured(Figures("probe", 1, 0.0), 1, run, None)

    assert len(figures.collector_pauses_ms) >= 3
    assert all(pause > 0 for pause in figures.collector_pauses_ms)
    assert f"gc {len(figures.collector_pauses_ms)}× ≤ " in figures.line()
