"""Token buckets that keep Quita under each platform's sending limits.

One bucket per channel for the global rate (Telegram ~30/s, WhatsApp 80/s) and one per chat
(~1 msg/s with a small burst, so a two-part reply does not crawl). Time is the event loop's
monotonic clock: pacing is about real seconds, not business time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float
    _tokens: float = field(init=False)
    _updated: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("rate must be > 0 and burst ≥ 1")
        self._tokens = self.burst

    def _refill(self, now: float) -> None:
        if self._updated:
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def delay(self, now: float) -> float:
        """Seconds until a token is available (0 if one is available now)."""
        self._refill(now)
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self._tokens -= 1

    def is_full(self, now: float) -> bool:
        self._refill(now)
        return self._tokens >= self.burst

    def try_take(self, now: float) -> bool:
        """Take a token if one is available at `now`; False, and nothing taken, if not.

        The outbox's way for every message: a token is usually there, and taking it without
        a coroutine (`acquire`) costs a third of the instructions. `_refill` is written out
        here: this runs twice per message sent, and the call was a third of its cost."""
        tokens = self._tokens
        if self._updated:
            tokens = min(self.burst, tokens + (now - self._updated) * self.rate)
        self._updated = now
        if tokens >= 1:
            self._tokens = tokens - 1
            return True
        self._tokens = tokens
        return False

    async def acquire(self) -> None:
        """Wait for a token. Waiters re-check after sleeping, since others may take it first."""
        loop = asyncio.get_running_loop()
        wait = self.delay(loop.time())
        while wait > 0:
            await asyncio.sleep(wait)
            wait = self.delay(loop.time())
        self.take(loop.time())


class PerKeyBuckets:
    """A bucket per chat, created on demand and forgotten when full again."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, TokenBucket] = {}

    def try_take(self, key: str, now: float) -> bool:
        """`TokenBucket.try_take` on `key`'s bucket (found here, made by `_bucket`: one call
        fewer for every message to a chat that has one)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._bucket(key)
        return bucket.try_take(now)

    async def acquire(self, key: str) -> None:
        await self._bucket(key).acquire()

    def _bucket(self, key: str) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= 10_000:  # only a new chat makes the map grow
                self._forget_idle()
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst)
        return bucket

    def _forget_idle(self) -> None:
        now = asyncio.get_running_loop().time()
        for key in [
            k for k, b in self._buckets.items() if b.delay(now) == 0 and b._tokens >= b.burst
        ]:
            del self._buckets[key]
