"""A simulated Telegram user talking to the bot through `FakeTelegramApi`: types, taps
buttons, and waits for what the bot sends back (as the Telegram app would show it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.testing.fake_telegram import ApiCall, FakeTelegramApi

REPLY_METHODS = frozenset({"sendMessage", "sendPhoto"})


@dataclass
class TelegramUser:
    fake: FakeTelegramApi
    chat_id: int
    first_name: str = "Marcos"
    language_code: str | None = "pt-br"

    async def say(self, text: str) -> int:
        """Send a text (or `/start payload`); returns the update id."""
        return await self.fake.push_text(self.chat_id, text, **self._who())

    async def press(self, choice: str) -> int:
        """Tap an inline button whose callback_data is `choice`."""
        return await self.fake.push_callback(self.chat_id, choice, **self._who())

    def _who(self) -> dict[str, Any]:
        return {"first_name": self.first_name, "language_code": self.language_code}

    @property
    def replies(self) -> list[ApiCall]:
        """Messages and photos the bot delivered to this chat, in order."""
        return [
            call
            for call in self.fake.calls_in(self.chat_id)
            if call.method in REPLY_METHODS and call.status == 200
        ]

    @property
    def texts(self) -> list[str]:
        return [str(c.params.get("text", c.params.get("caption", ""))) for c in self.replies]

    @property
    def last_buttons(self) -> list[str]:
        """callback_data of the most recent inline keyboard the bot showed."""
        for call in reversed(self.replies):
            markup = call.params.get("reply_markup")
            if isinstance(markup, dict) and markup.get("inline_keyboard"):
                return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
        return []

    async def wait_for_text(self, fragment: str, timeout: float = 10.0) -> str:  # noqa: ASYNC109
        """Wait for a message containing `fragment`; returns its text."""
        await self.fake.wait_for(lambda: any(fragment in t for t in self.texts), timeout)
        return next(t for t in self.texts if fragment in t)

    async def wait_for_button(self, choice: str, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await self.fake.wait_for(lambda: choice in self.last_buttons, timeout)

    async def wait_for_replies(self, count: int, timeout: float = 10.0) -> list[str]:  # noqa: ASYNC109
        await self.fake.wait_for(lambda: len(self.replies) >= count, timeout)
        return self.texts
