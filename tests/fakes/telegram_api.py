"""Telegram test doubles: the loopback Bot API (now in `bot.testing.fake_telegram`, so the
bench can use it too, re-exported here) and `RecordingSink`, a sink tests can wait on."""

from __future__ import annotations

import asyncio

from bot.channels.base import ConversationKey, Inbound
from bot.testing.fake_telegram import (
    BOT_ID,
    BOT_USERNAME,
    DEFAULT_TOKEN,
    ApiCall,
    FakeTelegramApi,
    bot_user,
    callback_update,
    media_message,
    sticker_message,
    text_message,
    user,
)
from dialogs.flow.events import Event

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "ApiCall",
    "FakeTelegramApi",
    "RecordingSink",
    "bot_user",
    "callback_update",
    "media_message",
    "sticker_message",
    "text_message",
    "user",
]


class RecordingSink:
    """An `InboundSink` that keeps what it is given, can fail on demand, and can be waited on.

    It yields to the event loop inside `accept`, like a real database write would, so tests
    of ordering see genuine interleaving between chats.
    """

    def __init__(self) -> None:
        self.inbounds: list[Inbound] = []
        self.failures_left = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._seen: set[ConversationKey] = set()
        self._changed = asyncio.Condition()

    async def accept(self, inbound: Inbound) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            # A chat's first write is slower (think: creating the conversation row), so a
            # processor that does not keep per-chat order would let later messages overtake it.
            first = inbound.key not in self._seen
            self._seen.add(inbound.key)
            for _ in range(8 if first else 1):
                await asyncio.sleep(0)
            if self.failures_left > 0:
                self.failures_left -= 1
                raise RuntimeError("storage is down")
            async with self._changed:
                self.inbounds.append(inbound)
                self._changed.notify_all()
        finally:
            self.in_flight -= 1

    async def wait_for_count(self, n: int, timeout: float = 5.0) -> list[Inbound]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.inbounds) >= n), timeout)
        return list(self.inbounds)

    def events_in(self, address: str) -> list[Event]:
        return [i.event for i in self.inbounds if i.key.address == address]
