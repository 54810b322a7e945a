"""`PrioritySemaphore`: first come, first served, except that urgent callers go first."""

from __future__ import annotations

import asyncio

import pytest

from storage.priority_semaphore import PrioritySemaphore


async def _queue(lock: PrioritySemaphore, order: list[str], name: str, *, urgent: bool) -> None:
    await lock.acquire(urgent=urgent)
    try:
        order.append(name)
        await asyncio.sleep(0)  # holds it across a turn, as a real writer does
    finally:
        lock.release()


async def test_waiters_are_served_urgent_ones_first_each_kind_in_arrival_order() -> None:
    lock = PrioritySemaphore(1)
    order: list[str] = []
    await lock.acquire()
    arrivals = [("a", False), ("b", False), ("U1", True), ("c", False), ("U2", True)]
    tasks = []
    for name, urgent in arrivals:
        tasks.append(asyncio.create_task(_queue(lock, order, name, urgent=urgent)))
        await asyncio.sleep(0)  # each queues before the next arrives
    lock.release()
    await asyncio.gather(*tasks)

    assert order == ["U1", "U2", "a", "b", "c"]
    assert not lock.locked()


async def test_a_free_lock_is_taken_at_once_and_nobody_overtakes_a_waiter() -> None:
    lock = PrioritySemaphore(1)
    order: list[str] = []
    async with lock:
        waiter = asyncio.create_task(_queue(lock, order, "waiter", urgent=False))
        await asyncio.sleep(0)
    # Released: handed to the waiter, so a newcomer (even urgent) queues behind it.
    assert lock.locked()
    await _queue(lock, order, "newcomer", urgent=True)
    await waiter

    assert order == ["waiter", "newcomer"]


async def test_a_cancelled_waiter_leaves_the_queue_and_the_lock_moves_on() -> None:
    lock = PrioritySemaphore(1)
    order: list[str] = []
    await lock.acquire()
    gone = asyncio.create_task(_queue(lock, order, "gone", urgent=True))
    stays = asyncio.create_task(_queue(lock, order, "stays", urgent=False))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    lock.release()
    await stays

    assert gone.cancelled()
    assert order == ["stays"]
    assert not lock.locked()


async def test_a_waiter_cancelled_just_after_being_handed_the_lock_passes_it_on() -> None:
    lock = PrioritySemaphore(1)
    order: list[str] = []
    await lock.acquire()
    first = asyncio.create_task(_queue(lock, order, "first", urgent=False))
    second = asyncio.create_task(_queue(lock, order, "second", urgent=False))
    await asyncio.sleep(0)
    lock.release()  # hands it to `first`, which has not run yet
    first.cancel()
    await second

    assert first.cancelled()
    assert order == ["second"]
    assert not lock.locked()


def test_releasing_a_lock_nobody_holds_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="nobody holds"):
        PrioritySemaphore(1).release()


async def test_with_several_slots_that_many_hold_it_at_once_and_the_next_waits() -> None:
    semaphore = PrioritySemaphore(2)
    await semaphore.acquire()
    await semaphore.acquire()
    assert semaphore.locked()
    third = asyncio.create_task(semaphore.acquire())
    await asyncio.sleep(0)
    assert not third.done()

    semaphore.release()  # handed straight to the third: still none free
    await third
    assert semaphore.locked()
    semaphore.release()
    semaphore.release()
    assert not semaphore.locked()
    with pytest.raises(RuntimeError, match="nobody holds"):
        semaphore.release()


def test_a_semaphore_without_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        PrioritySemaphore(0)
