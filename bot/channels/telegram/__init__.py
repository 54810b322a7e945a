"""Telegram channel on python-telegram-bot: polling or webhook in, `TelegramSender` out."""

from __future__ import annotations

import os

# Opt in to PTB's timedelta durations (the v23 behaviour). Without it PTB warns on every 429
# it parses, which is noise in production and an error under `pytest -W error`.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from bot.channels.telegram.channel import (
    ALLOWED_UPDATES,
    DEFAULT_BASE_URL,
    WEBHOOK_PATH,
    TelegramChannel,
)
from bot.channels.telegram.inbound import inbound_from_update
from bot.channels.telegram.ordering import PerChatUpdateProcessor
from bot.channels.telegram.sender import TelegramSender, send_error_from
from bot.channels.telegram.webhook import SECRET_HEADER, TelegramWebhook, telegram_webhook_routes

__all__ = [
    "ALLOWED_UPDATES",
    "DEFAULT_BASE_URL",
    "SECRET_HEADER",
    "WEBHOOK_PATH",
    "PerChatUpdateProcessor",
    "TelegramChannel",
    "TelegramSender",
    "TelegramWebhook",
    "inbound_from_update",
    "send_error_from",
    "telegram_webhook_routes",
]
