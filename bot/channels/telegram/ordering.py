"""Concurrent updates across chats, strict order within a chat.

PTB hands updates to the processor in arrival order (its semaphore and asyncio's locks are
FIFO), so taking the chat's lock first thing keeps each chat's updates in order while
different chats run side by side. This is what lets one process serve hundreds of chats.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.locks import KeyedLocks


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Runs up to `max_concurrent_updates` updates at once, one at a time per chat."""

    __slots__ = ("_locks",)

    def __init__(self, max_concurrent_updates: int, locks: KeyedLocks | None = None) -> None:
        """`locks` may be shared with other entry points (the webhook) that feed the same chats."""
        super().__init__(max_concurrent_updates)
        self._locks = locks if locks is not None else KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        async with self._locks.hold(chat_key(update)):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to allocate: locks are created on demand and dropped when idle."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def chat_key(update: object) -> object:
    """The chat id; updates without a chat share one key, so they are simply serialised."""
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None
