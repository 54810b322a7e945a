"""Token buckets: a burst goes at once, the rest at the rate, whether a token is taken at
once (`try_take`, the outbox's usual way) or waited for (`acquire`)."""

from __future__ import annotations

import asyncio

import pytest

from bot.rate_limit import PerKeyBuckets, TokenBucket


def test_a_burst_is_taken_at_once_then_tokens_come_at_the_rate() -> None:
    bucket = TokenBucket(rate=4, burst=3)
    assert [bucket.try_take(100.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.try_take(100.125)  # half a token
    assert bucket.try_take(100.25)
    assert not bucket.try_take(100.25)
    assert bucket.try_take(200.0)  # refilled, but never past the burst
    assert bucket.try_take(200.0)
    assert bucket.try_take(200.0)
    assert not bucket.try_take(200.0)


def test_a_refused_take_takes_nothing() -> None:
    bucket = TokenBucket(rate=1, burst=1)
    assert bucket.try_take(10.0)
    assert not bucket.try_take(10.5)
    assert bucket.delay(10.5) == pytest.approx(0.5)
    assert bucket.try_take(11.0)


def test_each_chat_has_its_own_bucket() -> None:
    chats = PerKeyBuckets(rate=1, burst=2)
    assert chats.try_take("a", 5.0)
    assert chats.try_take("a", 5.0)
    assert not chats.try_take("a", 5.0)
    assert chats.try_take("b", 5.0)


async def test_acquire_waits_for_the_next_token() -> None:
    bucket = TokenBucket(rate=20, burst=2)
    loop = asyncio.get_running_loop()
    began = loop.time()
    for _ in range(6):  # two at once, four at 20/s
        await bucket.acquire()
    assert loop.time() - began >= 0.18
