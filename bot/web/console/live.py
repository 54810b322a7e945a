"""Live console updates over WebSocket: "conversation N changed" (0 = the queue), ids only.

The browser re-fetches what it shows, so a lost signal costs nothing and no personal data
travels on this channel. The socket is read-only for the client: state changes go through
CSRF-checked posts. A cross-site page cannot open it (Origin must be this host).
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from bot.notify import QUEUE
from bot.web.console.guard import console_of
from bot.web.console.sessions import load_session


async def console_socket(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    session = await load_session(console.db, request, console.clock.now())
    if session is None:
        raise web.HTTPUnauthorized(text="login required")
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise web.HTTPForbidden(text="cross-origin WebSocket refused")
    socket = web.WebSocketResponse(heartbeat=30, max_msg_size=4096)
    await socket.prepare(request)
    changes: asyncio.Queue[int] = asyncio.Queue()
    console.notifier.subscribe(QUEUE, changes)
    console.sockets.add(socket)
    reader = asyncio.create_task(_until_closed(socket))
    try:
        await socket.send_json({"type": "hello"})
        while True:
            getter = asyncio.create_task(changes.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            changed = {getter.result()}
            while not changes.empty():  # a burst of commits becomes one refresh per chat
                changed.add(changes.get_nowait())
            for conversation_id in sorted(changed):
                await socket.send_json({"type": "changed", "conversation": conversation_id})
    except ConnectionResetError:
        pass
    finally:
        console.notifier.unsubscribe(QUEUE, changes)
        console.sockets.discard(socket)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return socket


async def _until_closed(socket: web.WebSocketResponse) -> None:
    async for frame in socket:
        if frame.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
            break


async def close_all(sockets: set[web.WebSocketResponse]) -> None:
    for socket in list(sockets):
        await socket.close()
