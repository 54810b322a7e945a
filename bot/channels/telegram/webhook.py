"""`POST /telegram/webhook` on Quita's aiohttp server.

Order matters: authenticate (secret token, constant-time) before reading the body, bound the
body, parse, hand to the service, and only answer 200 once the update is durably recorded —
otherwise Telegram must redeliver, which the service dedupes by update id.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Final

from aiohttp import web
from telegram import Update

from bot.channels.telegram.channel import WEBHOOK_PATH, TelegramChannel

logger = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY_BYTES: Final = 1024 * 1024


class TelegramWebhook:
    """The aiohttp handler; one per channel."""

    def __init__(self, channel: TelegramChannel, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        if not channel.webhook_secret:
            raise ValueError("the Telegram webhook needs a secret token")
        self._channel = channel
        self._secret = channel.webhook_secret.encode()
        self._max_body_bytes = max_body_bytes

    async def handle(self, request: web.Request) -> web.Response:
        offered = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(offered, self._secret):
            logger.warning("telegram webhook: rejected a request without the right secret")
            return web.Response(status=403, text="forbidden")
        body = await _read_bounded(request, self._max_body_bytes)
        if body is None:
            return web.Response(status=413, text="body too large")
        update = self._parse(body)
        if update is None:
            return web.Response(status=400, text="not a Telegram update")
        try:
            await self._channel.deliver_in_chat_order(update)
        except Exception as exc:
            logger.error(  # noqa: TRY400 - the traceback may carry personal data
                "telegram webhook: update %s not recorded: %s",
                update.update_id,
                type(exc).__name__,
            )
            return web.Response(status=500, text="not recorded, please redeliver")
        return web.Response(status=200)

    def _parse(self, body: bytes) -> Update | None:
        try:
            data: Any = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                return None
            return Update.de_json(data, self._channel.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            logger.warning("telegram webhook: malformed update body (%d bytes)", len(body))
            return None


async def _read_bounded(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it exceeds `limit` (checked before and while reading)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body.extend(chunk)
        if len(body) > limit:
            return None
    return bytes(body)


def telegram_webhook_routes(channel: TelegramChannel) -> list[web.RouteDef]:
    """Routes to add to Quita's aiohttp app: `app.add_routes(telegram_webhook_routes(ch))`."""
    return [web.post(WEBHOOK_PATH, TelegramWebhook(channel).handle)]
