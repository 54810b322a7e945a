"""Attach the configured messaging channels (Telegram, WhatsApp) to a built Quita."""

from __future__ import annotations

import aiohttp

from bot.app import Quita, StartupError
from bot.channels.base import ChannelName
from bot.settings import TelegramMode


def attach_telegram(quita: Quita) -> None:
    from bot.channels.telegram import TelegramChannel, telegram_webhook_routes

    settings = quita.settings
    try:
        channel = TelegramChannel.from_settings(settings, quita.service, clock=quita.clock)
    except ValueError as error:
        raise StartupError(str(error)) from None
    quita.outbox.add_sender(ChannelName.TELEGRAM.value, channel.sender)
    if channel.mode is TelegramMode.WEBHOOK:
        quita.web_app.add_routes(telegram_webhook_routes(channel))
    quita.startables.append((channel.start, channel.stop))


def attach_whatsapp(quita: Quita) -> None:
    from bot.channels.whatsapp import WhatsAppSender, WhatsAppWebhook, whatsapp_routes
    from bot.channels.whatsapp.reengage import OutsideWindowFallback

    settings = quita.settings
    secret, verify = settings.whatsapp_app_secret, settings.whatsapp_verify_token
    token, phone_id = settings.whatsapp_access_token, settings.whatsapp_phone_number_id
    if secret is None or verify is None or token is None or phone_id is None:
        raise StartupError(
            "WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN are required with WHATSAPP_ACCESS_TOKEN"
        )
    webhook = WhatsAppWebhook(
        app_secret=secret.get_secret_value(),
        verify_token=verify.get_secret_value(),
        sink=quita.service,
        status_sink=quita.service,
    )
    quita.web_app.add_routes(whatsapp_routes(webhook))
    # Shared with the service: Meta refuses with 131047 when sending, or in a later status.
    quita.outbox.refusals.on_outside_window(
        ChannelName.WHATSAPP.value, OutsideWindowFallback(quita.policy)
    )
    sessions: list[aiohttp.ClientSession] = []

    async def start() -> None:
        session = aiohttp.ClientSession()
        sessions.append(session)
        quita.outbox.add_sender(
            ChannelName.WHATSAPP.value,
            WhatsAppSender(
                session, str(settings.whatsapp_api_base_url), phone_id, token.get_secret_value()
            ),
        )

    async def stop() -> None:
        for session in sessions:
            await session.close()

    quita.startables.append((start, stop))


def attach_channels(quita: Quita) -> None:
    if quita.settings.telegram_enabled:
        attach_telegram(quita)
    if quita.settings.whatsapp_enabled:
        attach_whatsapp(quita)


def attach_features(quita: Quita) -> None:
    """Everything beyond the web chat that every deployment runs, one line per feature."""
    from bot.scheduler import attach_scheduler

    attach_scheduler(quita)
    from bot.web.payments_api import attach_payments

    attach_payments(quita)
    from bot.web.console import attach_console

    attach_console(quita)
    from bot.web.reports import attach_reports

    attach_reports(quita)
