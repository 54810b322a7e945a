"""After start-up the collector leaves the start-up heap alone and collects less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.heap import YOUNG_GENERATION_THRESHOLD, settle_after_startup


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_objects_alive_at_startup_are_left_out_of_later_collections() -> None:
    long_lived = [[n] for n in range(1000)]  # lists: always tracked by the collector

    settle_after_startup()

    collectable = {id(item) for item in gc.get_objects()}  # what a collection would walk
    assert gc.get_freeze_count() >= len(long_lived)
    assert not collectable & {id(item) for item in long_lived}
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD


@pytest.mark.usefixtures("restored_gc")
async def test_a_bench_run_leaves_what_the_bench_built_out_of_its_collections() -> None:
    from bot.bench import Figures, measured

    workload = [[n] for n in range(1000)]  # like each debtor's script
    walked: set[int] = set()

    async def run() -> None:
        walked.update(id(item) for item in gc.get_objects())

    await measured(Figures("probe", 0, 0.0), len(workload), run, None)

    assert not walked & {id(item) for item in workload}
