"""Delivers rendered messages through the WhatsApp Cloud API (Graph API `/messages`).

The HTTP session comes from outside (the composition root owns it; tests point it at a
loopback fake). Every failure becomes a `SendError` the outbox understands; nothing personal
is logged or put in error reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.channels.base import ChannelName, OutboundMessage, SendError, SendErrorKind
from bot.channels.whatsapp import limits
from bot.channels.whatsapp.errors import classify_error
from bot.channels.whatsapp.payloads import (
    Payload,
    UnsendableMessageError,
    choices_payload,
    image_payload,
    template_payload,
    text_payload,
)

LIST_BUTTON_LABEL_KEY = "whatsapp_list_button"
"""`OutboundMessage.extra` key for the label that opens a list message, rendered in the locale."""

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30)


class WhatsAppSender:
    """`Sender` for WhatsApp: text, reply buttons or lists, PNG images and templates.

    Long text goes out as several messages; the returned wamid is the last one's (the one
    carrying any buttons). A message with `template` sends only the template.
    """

    channel = ChannelName.WHATSAPP

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        phone_number_id: str,
        token: str,
        *,
        list_button_label: str = "Ver opções",
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._session = session
        self._endpoint = f"{base_url.rstrip('/')}/{phone_number_id}"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._list_button_label = list_button_label
        self._timeout = timeout

    async def send(self, address: str, message: OutboundMessage) -> str:
        """Send `message` to the WhatsApp user `address` (wa_id); returns the last wamid."""
        try:
            if message.template is not None:
                return await self._post_message(template_payload(address, message.template))
            wamids: list[str] = []
            if message.image_png is not None:
                media_id = await self.upload_png(message.image_png)
                payload = image_payload(address, media_id, message.image_caption)
                wamids.append(await self._post_message(payload))
            if message.text or message.buttons:
                for payload in self._text_payloads(address, message):
                    wamids.append(await self._post_message(payload))
        except UnsendableMessageError as exc:
            raise SendError(SendErrorKind.PERMANENT, str(exc)) from None
        if not wamids:
            raise SendError(SendErrorKind.PERMANENT, "empty message")
        return wamids[-1]

    async def upload_png(self, png: bytes) -> str:
        """Upload a PNG to `/media`; returns the media id to send it by."""
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", "image/png")
        form.add_field("file", png, filename="image.png", content_type="image/png")
        body = await self._post(f"{self._endpoint}/media", data=form)
        media_id = body.get("id")
        if not isinstance(media_id, str):
            raise SendError(SendErrorKind.PERMANENT, "media upload answered without an id")
        return media_id

    def _text_payloads(self, address: str, message: OutboundMessage) -> list[Payload]:
        parts = limits.split_text(message.text, limits.TEXT_BODY_MAX)
        if not message.buttons:
            return [text_payload(address, part) for part in parts]
        if not parts:
            raise UnsendableMessageError("buttons need a message text")
        tail = limits.split_text(parts.pop(), limits.INTERACTIVE_BODY_MAX)
        parts.extend(tail[:-1])
        label = message.extra.get(LIST_BUTTON_LABEL_KEY, self._list_button_label)
        return [text_payload(address, part) for part in parts] + [
            choices_payload(address, tail[-1], message.buttons, label)
        ]

    async def _post_message(self, payload: Payload) -> str:
        body = await self._post(f"{self._endpoint}/messages", json=payload)
        messages = body.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else None
        wamid = first.get("id") if isinstance(first, Mapping) else None
        if not isinstance(wamid, str):
            raise SendError(SendErrorKind.PERMANENT, "send answered without a message id")
        return wamid

    async def _post(self, url: str, **kwargs: Any) -> Mapping[str, Any]:
        try:
            async with self._session.post(
                url, headers=self._headers, timeout=self._timeout, **kwargs
            ) as response:
                try:
                    body: object = await response.json(content_type=None)
                except ValueError:
                    body = None
                if response.status >= 300:
                    raise classify_error(response.status, body, response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SendError(SendErrorKind.RETRY, f"network: {type(exc).__name__}") from None
        if not isinstance(body, Mapping):
            raise SendError(SendErrorKind.PERMANENT, "graph api answered without JSON")
        return body
