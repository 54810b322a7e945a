"""The Telegram channel: a python-telegram-bot `Application` used purely as transport.

One `TypeHandler` turns every update into an `Inbound` for the sink (the conversation
service); state lives in Quita, never in PTB. Polling uses PTB's updater; webhook mode has no
updater and receives updates through Quita's own aiohttp route (`webhook.py`).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any, Final

from telegram import CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, ExtBot, TypeHandler

from bot.channels.base import InboundSink
from bot.channels.telegram.http import AiohttpRequest
from bot.channels.telegram.inbound import inbound_from_update
from bot.channels.telegram.ordering import PerChatUpdateProcessor, chat_key
from bot.channels.telegram.sender import TelegramSender
from bot.clock import Clock, SystemClock
from bot.locks import KeyedLocks
from bot.settings import Settings, TelegramMode

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL: Final = "https://api.telegram.org/bot"
WEBHOOK_PATH: Final = "/telegram/webhook"
ALLOWED_UPDATES: Final = ("message", "callback_query")
_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")

TelegramApplication = Application[Any, Any, Any, Any, Any, Any]


class TelegramChannel:
    """Owns the PTB application, its lifecycle, and the path from update to `Inbound`."""

    def __init__(
        self,
        *,
        token: str,
        sink: InboundSink,
        mode: TelegramMode = TelegramMode.POLLING,
        base_url: str = DEFAULT_BASE_URL,
        base_file_url: str | None = None,
        webhook_secret: str | None = None,
        public_url: str | None = None,
        connection_pool_size: int = 8,
        max_concurrent_updates: int = 256,
        poll_timeout: float = 10.0,
        request_timeout: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        mode = TelegramMode(mode)  # also accepts "polling" / "webhook"
        if mode is TelegramMode.WEBHOOK:
            if not webhook_secret or not _SECRET_SHAPE.fullmatch(webhook_secret):
                raise ValueError(
                    "webhook mode needs TELEGRAM_WEBHOOK_SECRET: 1-256 chars of A-Z a-z 0-9 _ -"
                )
            if not public_url:
                raise ValueError(
                    "webhook mode needs QUITA_PUBLIC_URL (where Telegram can reach us)"
                )
        self.mode = mode
        self.webhook_secret = webhook_secret
        self.public_url = public_url.rstrip("/") if public_url else None
        self.poll_timeout = poll_timeout
        self._sink = sink
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._chat_locks = KeyedLocks()
        self.application = self._build_application(
            token=token,
            base_url=base_url,
            base_file_url=base_file_url or file_url_for(base_url),
            connection_pool_size=connection_pool_size,
            max_concurrent_updates=max_concurrent_updates,
            poll_timeout=poll_timeout,
            request_timeout=request_timeout,
        )
        self.sender = TelegramSender(self.application.bot, max_in_flight=connection_pool_size)

    @classmethod
    def from_settings(
        cls, settings: Settings, sink: InboundSink, **overrides: Any
    ) -> TelegramChannel:
        """The channel as configured by `.env` (`TELEGRAM_*`, `QUITA_PUBLIC_URL`)."""
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        secret = settings.telegram_webhook_secret
        options: dict[str, Any] = {
            "token": settings.telegram_bot_token.get_secret_value(),
            "sink": sink,
            "mode": settings.telegram_mode,
            "base_url": str(settings.telegram_api_base_url),
            "webhook_secret": secret.get_secret_value() if secret else None,
            "public_url": settings.public_url,
        }
        options.update(overrides)
        return cls(**options)

    def _build_application(
        self,
        *,
        token: str,
        base_url: str,
        base_file_url: str,
        connection_pool_size: int,
        max_concurrent_updates: int,
        poll_timeout: float,
        request_timeout: float,
    ) -> TelegramApplication:
        # Sends share a pool of keep-alive connections (PTB's old default was one, a
        # bottleneck under load); the long poll gets its own so it never waits behind sends.
        # The transport is aiohttp (`http.py`): httpx cost more CPU than the service itself.
        request = AiohttpRequest(
            connection_pool_size=connection_pool_size,
            read_timeout=request_timeout,
            write_timeout=request_timeout,
            connect_timeout=request_timeout,
            pool_timeout=request_timeout,
        )
        get_updates_request = AiohttpRequest(
            connection_pool_size=2, read_timeout=request_timeout, pool_timeout=request_timeout
        )
        self._http_pools = (request, get_updates_request)
        builder = (
            Application.builder()
            .token(token)
            .base_url(base_url)
            .base_file_url(base_file_url)
            .request(request)
            .get_updates_request(get_updates_request)
            .concurrent_updates(
                PerChatUpdateProcessor(max_concurrent_updates, locks=self._chat_locks)
            )
            .job_queue(None)
        )
        if self.mode is TelegramMode.WEBHOOK:
            builder = builder.updater(None)
        application: TelegramApplication = builder.build()
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        return application

    @property
    def bot(self) -> ExtBot[Any]:
        return self.application.bot  # type: ignore[no-any-return]

    async def start(self) -> None:
        """Connect (getMe), then poll, or register the webhook with its secret token."""
        try:
            await self.application.initialize()
        except BaseException:
            await self._close_http_pools()  # PTB leaves them open when getMe fails
            raise
        try:
            await self.application.start()
            if self.mode is TelegramMode.WEBHOOK:
                await self.bot.set_webhook(
                    url=f"{self.public_url}{WEBHOOK_PATH}",
                    secret_token=self.webhook_secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
            else:
                updater = self.application.updater
                assert updater is not None
                await updater.start_polling(
                    timeout=timedelta(seconds=self.poll_timeout),
                    allowed_updates=list(ALLOWED_UPDATES),
                    error_callback=_log_polling_error,
                )
        except BaseException:
            await self.stop()
            raise
        logger.info("telegram channel started (%s)", self.mode.value)

    async def stop(self) -> None:
        """Stop fetching, let in-flight updates finish, close HTTP pools. Safe to call twice.

        The webhook stays registered: other Quita processes may still be serving it.
        """
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        await self._close_http_pools()

    async def _close_http_pools(self) -> None:
        for pool in self._http_pools:
            await pool.shutdown()

    async def deliver(self, update: Update) -> None:
        """Hand the update to the sink (durably), then always answer a button tap.

        Raises whatever the sink raises, so the webhook can answer 500 and Telegram redelivers.
        """
        inbound = inbound_from_update(update, self._clock.now())
        try:
            if inbound is None:
                logger.debug("telegram update %s ignored", update.update_id)
            else:
                await self._sink.accept(inbound)
        finally:
            if update.callback_query is not None:
                await _answer(update.callback_query, update.update_id)

    async def deliver_in_chat_order(self, update: Update) -> None:
        """`deliver`, queued behind earlier updates of the same chat (the webhook entry point)."""
        async with self._chat_locks.hold(chat_key(update)):
            await self.deliver(update)

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """Polling path: a failing sink is logged, never allowed to stop the application."""
        try:
            await self.deliver(update)
        except Exception as exc:
            logger.error(  # noqa: TRY400 - the traceback may carry personal data
                "telegram update %s was not accepted: %s", update.update_id, type(exc).__name__
            )

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error("telegram error on update %s: %s", update_id, type(context.error).__name__)


async def _answer(query: CallbackQuery, update_id: int) -> None:
    """Stop the button's loading spinner; failing to do so must not fail the update."""
    try:
        await query.answer()
    except TelegramError as exc:
        logger.warning("telegram update %s: answerCallbackQuery failed: %s", update_id, exc)


def _log_polling_error(exc: TelegramError) -> None:
    logger.warning("telegram polling error (will retry): %s", exc)


def file_url_for(base_url: str) -> str:
    """`https://host/bot` -> `https://host/file/bot`, the layout of Telegram and local servers."""
    trimmed = base_url.rstrip("/")
    root = trimmed.removesuffix("/bot")
    return f"{root}/file/bot"
