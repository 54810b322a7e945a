"""Simulated debtors typing into a loopback Bot API, each waiting for its whole answer.

The bot under test (Quita through python-telegram-bot, or the aiogram reference) tells the
`ProgressBoard` how many replies each update queued and when each was accepted by the API;
a debtor types its next message once all of them were. Messages are queued on the fake Bot
API in batches (`BatchedPusher`), since it runs in another process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.bench.conversations import telegram_script
from bot.bench.figures import Figures, measured
from bot.testing.fake_telegram import text_message

TELEGRAM_CHAT_BASE = 10_000_000  # simulated debtor n chats from Telegram id base + n


class LoopbackBotApi(Protocol):
    """A fake Bot API on 127.0.0.1: `FakeTelegramProcess`, or `FakeTelegramApi` in tests."""

    token: str
    port: int

    async def push_many(self, updates: list[dict[str, Any]]) -> list[int]: ...


@dataclass
class ChatProgress:
    """Per chat: updates handled, replies the service queued, replies Telegram accepted."""

    handled: int = 0
    queued: int = 0
    delivered: int = 0
    waiting_since: float | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class ProgressBoard:
    """What the simulated debtors wait on: each knows when its whole answer has been sent."""

    def __init__(self) -> None:
        self.chats: dict[str, ChatProgress] = {}
        self.first_reply_ms: list[float] = []

    def chat(self, address: str) -> ChatProgress:
        return self.chats.setdefault(address, ChatProgress())

    def handled(self, address: str, replies: int) -> None:
        """The bot handled an update from `address` and queued `replies` to it."""
        chat = self.chat(address)
        chat.handled += 1
        chat.queued += replies
        chat.changed.set()

    def delivered(self, address: str) -> None:
        """The Bot API accepted one reply to `address`."""
        chat = self.chat(address)
        if chat.waiting_since is not None:
            self.first_reply_ms.append((time.perf_counter() - chat.waiting_since) * 1000)
            chat.waiting_since = None
        chat.delivered += 1
        chat.changed.set()


class BatchedPusher:
    """Queues the debtors' messages on the fake Bot API, those of one loop turn in one
    request (the fake runs in another process)."""

    def __init__(self, fake: LoopbackBotApi) -> None:
        self._fake = fake
        self._pending: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def push_text(self, chat_id: int, text: str) -> None:
        """Returns once the message is queued for `getUpdates`."""
        queued = asyncio.get_running_loop().create_future()
        update = {
            "message": text_message(chat_id, text, first_name="Pessoa", language_code="pt-br")
        }
        self._pending.append((update, queued))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await queued

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._fake.push_many([update for update, _ in batch])
            except Exception as error:
                for _, queued in batch:
                    queued.set_exception(error)
            else:
                for _, queued in batch:
                    queued.set_result(None)


async def run_closed_loop(
    label: str,
    pusher: BatchedPusher,
    board: ProgressBoard,
    debtors: range,
    steps: int,
    echo: Callable[[str], None] | None = None,
) -> Figures:
    """Each of `debtors` types the first `steps` messages of its script, the next one once
    the bot has handled the last and every reply it queued for it has been sent."""
    figures = Figures(label, 0, 0.0)

    async def debtor(n: int) -> None:
        chat_id = TELEGRAM_CHAT_BASE + n
        chat = board.chat(str(chat_id))
        for sent, text in enumerate(telegram_script(n)[:steps], start=1):
            started = time.perf_counter()
            chat.waiting_since = started
            await pusher.push_text(chat_id, text)
            while chat.handled < sent or chat.delivered < chat.queued:
                chat.changed.clear()
                await chat.changed.wait()
            figures.latencies_ms.append((time.perf_counter() - started) * 1000)
            figures.events += 1

    async def everyone() -> None:
        await asyncio.gather(*(debtor(n) for n in debtors))

    return await measured(figures, len(debtors) * steps, everyone, echo)
