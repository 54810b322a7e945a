"""WhatsApp Cloud API channel: signed webhook intake, Graph API sender, the 24 h window."""

from __future__ import annotations

from bot.channels.whatsapp.errors import classify_error
from bot.channels.whatsapp.parsing import MalformedPayloadError, StatusUpdate, parse_webhook
from bot.channels.whatsapp.sender import LIST_BUTTON_LABEL_KEY, WhatsAppSender
from bot.channels.whatsapp.signature import SIGNATURE_HEADER, sign, signature_valid
from bot.channels.whatsapp.webhook import WEBHOOK_PATH, WhatsAppWebhook, whatsapp_routes
from bot.channels.whatsapp.window import window_open

__all__ = [
    "LIST_BUTTON_LABEL_KEY",
    "SIGNATURE_HEADER",
    "WEBHOOK_PATH",
    "MalformedPayloadError",
    "StatusUpdate",
    "WhatsAppSender",
    "WhatsAppWebhook",
    "classify_error",
    "parse_webhook",
    "sign",
    "signature_valid",
    "whatsapp_routes",
    "window_open",
]
