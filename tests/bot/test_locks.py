"""Per-chat locks: one holder per key at a time, in arrival order, and nothing left behind."""

from __future__ import annotations

import asyncio

import pytest

from bot.locks import KeyedLocks


async def test_holders_of_one_key_take_turns_in_arrival_order() -> None:
    locks = KeyedLocks()
    trace: list[str] = []
    release_first = asyncio.Event()

    async def hold(name: str, until: asyncio.Event | None = None) -> None:
        async with locks.hold("chat"):
            trace.append(f"{name} in")
            if until is not None:
                await until.wait()
            trace.append(f"{name} out")

    first = asyncio.create_task(hold("first", release_first))
    await asyncio.sleep(0)
    others = [asyncio.create_task(hold(name)) for name in ("second", "third")]
    await asyncio.sleep(0)
    assert trace == ["first in"]  # the others wait for the key

    release_first.set()
    await asyncio.gather(first, *others)
    assert trace == ["first in", "first out", "second in", "second out", "third in", "third out"]
    assert len(locks) == 0


async def test_other_keys_are_not_held_up() -> None:
    locks = KeyedLocks()
    async with locks.hold("busy chat"):
        await asyncio.wait_for(_enter(locks, "another chat"), timeout=5)
    assert len(locks) == 0


async def test_a_waiter_cancelled_before_its_turn_leaves_nothing_behind() -> None:
    locks = KeyedLocks()
    async with locks.hold("chat"):
        waiter = asyncio.create_task(_enter(locks, "chat"))
        await asyncio.sleep(0)
        assert len(locks) == 1
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    assert len(locks) == 0
    await asyncio.wait_for(_enter(locks, "chat"), timeout=5)  # the key is free again


async def test_an_error_inside_releases_the_key() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("chat"):
            raise RuntimeError("boom")
    assert len(locks) == 0
    await asyncio.wait_for(_enter(locks, "chat"), timeout=5)


async def _enter(locks: KeyedLocks, key: str) -> None:
    async with locks.hold(key):
        pass
