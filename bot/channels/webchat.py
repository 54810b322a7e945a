"""The web chat channel: a WebSocket per browser tab, addressed by a session id.

The session id (kept in the browser's localStorage) is the chat's address. Outbound messages
are pushed to every open socket of that address; a tab that was closed gets them from the
transcript when it reconnects, so "sent" here means "stored and pushed to whoever is there".
"""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from typing import Any

from aiohttp import web

from bot.channels.base import ChannelName, OutboundMessage

SESSION_PREFIX = "wc_"


def new_session_id() -> str:
    return SESSION_PREFIX + secrets.token_urlsafe(18)


def is_session_id(value: object) -> bool:
    return (
        isinstance(value, str)
        and value.startswith(SESSION_PREFIX)
        and 10 <= len(value) <= 64
        and all(c.isalnum() or c in "_-" for c in value)
    )


def message_json(message: OutboundMessage, message_id: str) -> dict[str, Any]:
    """The wire form the chat page renders (same shape for live pushes and history)."""
    data: dict[str, Any] = {"type": "message", "id": message_id, "author": "bot"}
    if message.text:
        data["text"] = message.text
    if message.buttons:
        data["buttons"] = [{"id": b.id, "title": b.title} for b in message.buttons]
    if message.image_png is not None:
        data["image"] = "data:image/png;base64," + base64.b64encode(message.image_png).decode()
        data["caption"] = message.image_caption
    if message.copy_code:
        data["copy_code"] = True
    return data


class WebchatHub:
    """Open sockets by session id."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[web.WebSocketResponse]] = defaultdict(set)

    def register(self, address: str, socket: web.WebSocketResponse) -> None:
        self._sockets[address].add(socket)

    def unregister(self, address: str, socket: web.WebSocketResponse) -> None:
        sockets = self._sockets.get(address)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._sockets[address]

    async def push(self, address: str, data: dict[str, Any]) -> int:
        delivered = 0
        for socket in list(self._sockets.get(address, ())):
            if socket.closed:
                continue
            try:
                await socket.send_json(data)
                delivered += 1
            except ConnectionError:
                self.unregister(address, socket)
        return delivered

    async def close_all(self) -> None:
        for sockets in list(self._sockets.values()):
            for socket in list(sockets):
                await socket.close()
        self._sockets.clear()


class WebchatSender:
    """Sender for the web chat: pushes to open tabs; the transcript covers closed ones."""

    channel = ChannelName.WEBCHAT

    def __init__(self, hub: WebchatHub) -> None:
        self._hub = hub

    async def send(self, address: str, message: OutboundMessage) -> str:
        message_id = "wcm_" + secrets.token_hex(8)
        await self._hub.push(address, message_json(message, message_id))
        return message_id
