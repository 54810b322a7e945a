"""One writer per conversation inside a process: an asyncio lock per key, freed when idle."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from types import TracebackType


class KeyedLocks:
    """`async with locks.hold(key):` serialises work on the same key; other keys run freely.

    Entries are reference-counted and dropped when nobody holds or waits, so a million chats
    do not leave a million locks behind.
    """

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    def hold(self, key: Hashable) -> Hold:
        return Hold(self._locks, key)

    def __len__(self) -> int:
        return len(self._locks)


class Hold:
    """The context manager `KeyedLocks.hold` returns: a plain class, because every event
    takes one and a generator-based context manager costs several times as much."""

    __slots__ = ("_key", "_lock", "_locks")

    def __init__(self, locks: dict[Hashable, tuple[asyncio.Lock, int]], key: Hashable) -> None:
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> None:
        locks, key = self._locks, self._key
        lock, users = locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        locks[key] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:  # cancelled while waiting: no longer a user
            self._leave()
            raise
        self._lock = lock

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()
        self._leave()

    def _leave(self) -> None:
        lock, users = self._locks[self._key]
        if users <= 1:
            del self._locks[self._key]
        else:
            self._locks[self._key] = (lock, users - 1)
