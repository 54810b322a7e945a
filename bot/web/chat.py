"""Routes of the debtor-side web chat: the page, its WebSocket and the embeddable widget."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.channels.webchat import WebchatHub, is_session_id, message_json, new_session_id
from bot.clock import Clock
from bot.i18n import locale_from
from bot.outbound_codec import from_dict
from bot.outbound_media import materialize
from bot.service import ConversationService
from dialogs.flow.events import ButtonPressed, Event, StartRequested, TextReceived
from storage import Database

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_TEXT = 4096  # longer messages are refused with a polite note, never truncated silently
MAX_FRAME = 64 * 1024

HUB_KEY = web.AppKey("webchat_hub", WebchatHub)
SERVICE_KEY = web.AppKey("service", ConversationService)
DB_KEY = web.AppKey("db", Database)
CLOCK_KEY = web.AppKey("clock", Clock)


async def chat_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "chat.html", headers={"Cache-Control": "no-store"})


async def history(db: Database, address: str) -> list[dict[str, Any]]:
    async with db.transaction(write=False) as tx:
        conv = await tx.conversations.by_key(ChannelName.WEBCHAT.value, address)
        if conv is None:
            return []
        rows = await tx.messages.transcript(conv.id)
    out: list[dict[str, Any]] = []
    for row in rows:
        if row.direction == "out" and row.payload:
            item = message_json(await materialize(from_dict(row.payload)), f"m{row.id}")
            item["author"] = row.author
            out.append(item)
        elif row.author == "debtor":
            out.append(
                {"type": "message", "id": f"m{row.id}", "author": "debtor", "text": row.text}
            )
    return out


async def chat_socket(request: web.Request) -> web.WebSocketResponse:
    app = request.app
    hub, service, db, clock = app[HUB_KEY], app[SERVICE_KEY], app[DB_KEY], app[CLOCK_KEY]
    socket = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME)
    await socket.prepare(request)
    address: str | None = None
    locale = "pt_BR"
    try:
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                continue
            data = _parse(frame.data)
            if data is None:
                await socket.send_json({"type": "error", "code": "malformed"})
                continue
            kind = data.get("type")
            if kind == "hello":
                requested = _str(data.get("session"))
                address = requested if is_session_id(requested) else new_session_id()
                locale = locale_from(_str(data.get("locale")))
                hub.register(address, socket)
                past = await history(db, address)
                await socket.send_json({"type": "session", "session": address})
                await socket.send_json({"type": "history", "messages": past})
                if not past:
                    invite = _str(data.get("invite"))
                    await _submit(
                        service, clock, address, StartRequested(invite or None), None, locale
                    )
                continue
            if address is None:
                await socket.send_json({"type": "error", "code": "hello_first"})
                continue
            client_id = _str(data.get("id"))
            if not client_id or len(client_id) > 64:
                await socket.send_json({"type": "error", "code": "missing_id"})
                continue
            event: Event
            if kind == "text":
                text = _str(data.get("text")).strip()
                if not text:
                    continue
                if len(text) > MAX_TEXT:
                    await socket.send_json({"type": "error", "code": "too_long", "max": MAX_TEXT})
                    continue
                event = TextReceived(text)
            elif kind == "button":
                choice = _str(data.get("choice"))
                if not choice or len(choice.encode()) > 64:
                    await socket.send_json({"type": "error", "code": "malformed"})
                    continue
                event = ButtonPressed(choice)
            else:
                await socket.send_json({"type": "error", "code": "unknown_type"})
                continue
            try:
                await _submit(service, clock, address, event, f"{address}:{client_id}", locale)
            except Exception:
                # The transaction rolled back: nothing half-written. Tell the page, keep going.
                log.exception("web chat: event could not be handled")
                await socket.send_json({"type": "error", "code": "internal"})
    finally:
        if address is not None:
            hub.unregister(address, socket)
    return socket


async def _submit(
    service: ConversationService,
    clock: Clock,
    address: str,
    event: Event,
    message_id: str | None,
    locale: str,
) -> None:
    await service.handle(
        Inbound(
            key=ConversationKey(ChannelName.WEBCHAT, address),
            event=event,
            received_at=clock.now(),
            message_id=message_id,
            idempotency_key=None if message_id else f"{address}:open",
            locale=locale,
        )
    )


def _parse(raw: str) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def chat_routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/chat", chat_page),
        web.get("/chat/ws", chat_socket),
        web.static("/static", STATIC),
    ]
