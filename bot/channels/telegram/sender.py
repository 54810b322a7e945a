"""Deliver one rendered `OutboundMessage` to a Telegram chat and classify failures.

The outbox worker owns retries and rate limits, so nothing here sleeps or retries: every
Telegram error becomes a `SendError` that says what the outbox should do next.

Messages go out through `Bot.do_api_request`, which returns the Bot API's answer as JSON.
`Bot.send_message` and `send_photo` would turn every answer into a `Message` (a hundred
attributes, each set through PTB's Python `__setattr__`) of which the outbox keeps only the
id: that was ~15 % of a Telegram update's CPU. The request encoding, the HTTP pool and the
error classes are PTB's either way. PTB warns when `do_api_request` is used for a method it
wraps; this is that case on purpose, so that one warning is filtered out here (and in pytest's
settings, which put "error" in front of every other filter).
"""

from __future__ import annotations

import asyncio
import warnings
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.channels.base import ChannelName, OutboundMessage, SendError, SendErrorKind
from bot.channels.telegram.rendering import (
    CAPTION_LIMIT,
    RenderError,
    TextPart,
    inline_keyboard,
    text_parts,
)

warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.send_(message|photo)' instead", category=PTBUserWarning
)

# 400s that really mean "this person cannot be reached", not "the request was malformed".
_UNREACHABLE_BAD_REQUESTS = ("chat not found", "user not found", "peer_id_invalid")


class TelegramSender:
    """`Sender` for Telegram; returns `<chat id>:<message id>` of the last message sent (the
    one with buttons). Telegram numbers messages per chat, and Quita keeps platform ids unique
    per channel next to inbound update ids, so the bare number would collide."""

    channel = ChannelName.TELEGRAM

    def __init__(self, bot: Bot, max_in_flight: int | None = None) -> None:
        """`max_in_flight` should match the HTTP pool size: sends beyond it queue here, with
        no deadline, rather than in the pool, where waiting counts against the request's
        pool timeout and a burst of replies would fail as timed out."""
        self._bot = bot
        self._in_flight = asyncio.Semaphore(max_in_flight) if max_in_flight else None

    async def send(self, address: str, message: OutboundMessage) -> str:
        try:
            chat_id = int(address)
        except ValueError:
            raise SendError(SendErrorKind.PERMANENT, "telegram address is not a chat id") from None
        if self._in_flight is None:
            return await self._send_to(chat_id, message)
        async with self._in_flight:
            return await self._send_to(chat_id, message)

    async def _send_to(self, chat_id: int, message: OutboundMessage) -> str:
        try:
            return f"{chat_id}:{await self._deliver(chat_id, message)}"
        except RenderError as exc:
            raise SendError(SendErrorKind.PERMANENT, str(exc)) from exc
        except TelegramError as exc:
            raise send_error_from(exc) from exc

    async def _deliver(self, chat_id: int, message: OutboundMessage) -> str:
        keyboard = inline_keyboard(message.buttons)
        if message.template is not None:
            raise RenderError("templates are a WhatsApp concept; Telegram needs text")
        if message.image_png is not None:
            return await self._send_photo(chat_id, message, keyboard)
        if not message.text:
            raise RenderError("nothing to send: no text and no image")
        return await self._send_parts(
            chat_id, text_parts(message.text, keyboard, copy_code=message.copy_code)
        )

    async def _send_parts(self, chat_id: int, parts: list[TextPart]) -> str:
        message_id = ""
        for part in parts:
            message_id = await self._call(
                "send_message",
                chat_id=chat_id,
                text=part.text,
                parse_mode=part.parse_mode,
                reply_markup=part.keyboard,
            )
        return message_id

    async def _send_photo(
        self, chat_id: int, message: OutboundMessage, keyboard: InlineKeyboardMarkup | None
    ) -> str:
        """A caption that fits rides on the photo; a longer one follows as text."""
        assert message.image_png is not None
        caption = message.image_caption
        fits = len(caption) <= CAPTION_LIMIT
        message_id = await self._call(
            "send_photo",
            chat_id=chat_id,
            photo=InputFile(message.image_png),
            caption=caption if fits and caption else None,
            reply_markup=keyboard if fits else None,
        )
        if fits:
            return message_id
        return await self._send_parts(chat_id, text_parts(caption, keyboard))

    async def _call(self, method: str, **arguments: Any) -> str:
        """Call a Bot API `method` (None arguments are left out); the sent message's id."""
        sent = await self._bot.do_api_request(method, api_kwargs=arguments)
        return str(sent["message_id"])


def send_error_from(exc: TelegramError) -> SendError:
    """What the outbox should do about a Telegram error (see `SendErrorKind`)."""
    reason = f"telegram: {exc.message}"
    if isinstance(exc, RetryAfter):
        return SendError(SendErrorKind.RETRY_AFTER, reason, retry_after=retry_after_seconds(exc))
    if isinstance(exc, Forbidden):
        return SendError(SendErrorKind.UNREACHABLE, reason)
    if isinstance(exc, BadRequest):
        lowered = exc.message.lower()
        if any(marker in lowered for marker in _UNREACHABLE_BAD_REQUESTS):
            return SendError(SendErrorKind.UNREACHABLE, reason)
        return SendError(SendErrorKind.PERMANENT, reason)
    if isinstance(exc, ChatMigrated):
        return SendError(SendErrorKind.PERMANENT, reason)
    # NetworkError (timeouts, refused connections, 5xx), InvalidToken (the message is fine, the
    # configuration is not: retry so nothing is lost once fixed) and anything unforeseen.
    return SendError(SendErrorKind.RETRY, reason)


def retry_after_seconds(exc: RetryAfter) -> float:
    """Seconds to wait, whichever type PTB returns (int now, timedelta in a future major)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)
