"""The `/whatsapp/webhook` endpoint: Meta's verification handshake and signed notifications.

A POST is answered 200 only after every inbound in it was handed to the sink (which records it
durably) and every status to the status sink, so Meta redelivers anything we could not keep.
Bodies from different senders are handed over concurrently; one sender's messages keep their
order. Nothing personal (numbers, names, text, wamids, which embed the number) is logged.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import defaultdict

from aiohttp import web

from bot.channels.base import ChannelName, DeliveryStatusSink, InboundSink
from bot.channels.whatsapp.parsing import Parsed, StatusUpdate, parse_webhook
from bot.channels.whatsapp.signature import SIGNATURE_HEADER, signature_valid

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/whatsapp/webhook"
DEFAULT_MAX_BODY_BYTES = 512 * 1024
_CHUNK_BYTES = 64 * 1024


class WhatsAppWebhook:
    """Request handlers for the webhook; mount them with `whatsapp_routes`."""

    def __init__(
        self,
        *,
        app_secret: str,
        verify_token: str,
        sink: InboundSink,
        status_sink: DeliveryStatusSink,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._app_secret = app_secret
        self._verify_token = verify_token
        self._sink = sink
        self._status_sink = status_sink
        self._max_body_bytes = max_body_bytes

    async def verify(self, request: web.Request) -> web.Response:
        """Meta's subscription handshake: echo `hub.challenge` when the verify token matches."""
        query = request.query
        token = query.get("hub.verify_token", "")
        matches = hmac.compare_digest(token.encode(), self._verify_token.encode())
        if query.get("hub.mode") != "subscribe" or not matches:
            log.warning("whatsapp webhook: verification refused")
            raise web.HTTPForbidden()
        return web.Response(text=query.get("hub.challenge", ""), content_type="text/plain")

    async def receive(self, request: web.Request) -> web.Response:
        """Authenticate, parse, hand everything over, then acknowledge."""
        body = await self._read_body(request)
        if not signature_valid(self._app_secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("whatsapp webhook: missing or invalid signature")
            raise web.HTTPUnauthorized()
        try:
            parsed = parse_webhook(json.loads(body))
        except (ValueError, RecursionError) as exc:  # MalformedPayloadError is a ValueError
            log.warning("whatsapp webhook: unreadable body (%s)", type(exc).__name__)
            raise web.HTTPBadRequest() from None
        try:
            await self._hand_over(parsed)
        except Exception as exc:  # the sink's failure must become a redelivery, not a 200
            # Type names only, no traceback: exception messages may carry personal data.
            log.error("whatsapp webhook: hand-over failed (%s)", _describe(exc))  # noqa: TRY400
            raise web.HTTPInternalServerError() from None
        log.debug("whatsapp webhook: accepted %d items", len(parsed))
        return web.Response(text="ok")

    async def _read_body(self, request: web.Request) -> bytes:
        declared = request.content_length
        if declared is not None and declared > self._max_body_bytes:
            raise web.HTTPRequestEntityTooLarge(max_size=self._max_body_bytes, actual_size=declared)
        chunks: list[bytes] = []
        size = 0
        while chunk := await request.content.read(_CHUNK_BYTES):
            size += len(chunk)
            if size > self._max_body_bytes:
                raise web.HTTPRequestEntityTooLarge(max_size=self._max_body_bytes, actual_size=size)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _hand_over(self, parsed: list[Parsed]) -> None:
        by_address: defaultdict[str, list[Parsed]] = defaultdict(list)
        for item in parsed:
            address = item.recipient if isinstance(item, StatusUpdate) else item.key.address
            by_address[address].append(item)
        async with asyncio.TaskGroup() as group:
            for items in by_address.values():
                group.create_task(self._hand_over_in_order(items))

    async def _hand_over_in_order(self, items: list[Parsed]) -> None:
        for item in items:
            if isinstance(item, StatusUpdate):
                await self._status_sink.delivery_status(
                    ChannelName.WHATSAPP,
                    item.message_id,
                    item.status,
                    item.at,
                    item.error,
                    item.kind,
                )
            else:
                await self._sink.accept(item)


def whatsapp_routes(handler: WhatsAppWebhook) -> list[web.RouteDef]:
    """Routes to add to Quita's aiohttp app (`app.add_routes(whatsapp_routes(handler))`)."""
    return [
        web.get(WEBHOOK_PATH, handler.verify, allow_head=False),
        web.post(WEBHOOK_PATH, handler.receive),
    ]


def _describe(exc: BaseException) -> str:
    """Exception type names only: messages may carry personal data."""
    if isinstance(exc, BaseExceptionGroup):
        return ", ".join(sorted({_describe(inner) for inner in exc.exceptions}))
    return type(exc).__name__
