"""Run a whole Quita in-process for a test: real web server on a free loopback port, real
service, outbox worker and storage; plus a web chat client that talks to it over WebSocket.

    async with running_quita(database_url, clock=clock) as q:
        async with WebchatClient(q.base_url) as chat:
            await chat.hello()
            await chat.wait_for_text("CPF")
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.app import Quita, build, serve
from bot.clock import Clock, ManualClock
from bot.demo import SAMPLE_DEBTS_CSV
from bot.importing import import_debts
from bot.outbox import ChannelLimits, RetryPolicy
from bot.settings import load_settings
from dialogs.negotiation.policy import Policy

# Wednesday 2026-11-25 10:00 in São Paulo: inside the contact window, the reference "today".
REFERENCE_NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
FAST_RETRY = RetryPolicy(max_attempts=5, base_seconds=0.01, cap_seconds=0.05)
FAST_LIMITS = {
    name: ChannelLimits(rate_per_second=1000, per_chat_rate=1000, per_chat_burst=1000)
    for name in ("webchat", "telegram", "whatsapp")
}


@dataclass
class RunningQuita:
    quita: Quita
    base_url: str


@contextlib.asynccontextmanager
async def running_quita(
    database_url: str,
    *,
    clock: Clock | None = None,
    policy: Policy | None = None,
    seed: bool = True,
    settings: dict[str, Any] | None = None,
    attach: Sequence[Callable[[Quita], None]] = (),
    retry: RetryPolicy = FAST_RETRY,
    limits: dict[str, ChannelLimits] | None = None,
) -> AsyncIterator[RunningQuita]:
    """Build and serve Quita on 127.0.0.1:<free port> until the block ends."""
    clock = clock or ManualClock(REFERENCE_NOW)
    options: dict[str, Any] = {
        "quita_database_url": database_url,
        "quita_http_host": "127.0.0.1",
        "quita_http_port": 0,
        **(settings or {}),
    }
    quita = build(
        load_settings(**options),
        clock=clock,
        policy=policy,
        retry=retry,
        limits=limits or FAST_LIMITS,
    )
    for attach_feature in attach:
        attach_feature(quita)
    if seed:
        now = clock.now()
        await import_debts(quita.db, SAMPLE_DEBTS_CSV, today=now.date(), now=now)
    stop, ready = asyncio.Event(), asyncio.Event()
    server = asyncio.create_task(serve(quita, stop, ready=ready))
    ready_wait = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({server, ready_wait}, return_when=asyncio.FIRST_COMPLETED)
    if server in done:
        ready_wait.cancel()
        server.result()  # raises the start-up error
    try:
        yield RunningQuita(quita, f"http://127.0.0.1:{quita.bound_port}")
    finally:
        stop.set()
        await server


@dataclass
class WebchatClient:
    """A debtor in the web chat, speaking the page's WebSocket protocol."""

    base_url: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    session: str | None = None
    _http: aiohttp.ClientSession | None = None
    _socket: aiohttp.ClientWebSocketResponse | None = None
    _reader: asyncio.Task[None] | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def __aenter__(self) -> WebchatClient:
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
        if self._http is not None:
            await self._http.close()

    async def connect(self) -> None:
        assert self._http is not None
        self._socket = await self._http.ws_connect(self.base_url + "/chat/ws")
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await self._reader
        self._socket = self._reader = None

    async def hello(self, *, invite: str | None = None, locale: str = "pt-BR") -> None:
        if self._socket is None:
            await self.connect()
        assert self._socket is not None
        await self._socket.send_json(
            {"type": "hello", "session": self.session, "invite": invite, "locale": locale}
        )
        await self.wait_for(lambda c: c.session is not None)

    async def say(self, text: str, *, message_id: str | None = None) -> None:
        assert self._socket is not None
        await self._socket.send_json(
            {"type": "text", "id": message_id or uuid.uuid4().hex, "text": text}
        )

    async def press(self, choice: str) -> None:
        assert self._socket is not None
        await self._socket.send_json({"type": "button", "id": uuid.uuid4().hex, "choice": choice})

    async def send_raw(self, data: str) -> None:
        assert self._socket is not None
        await self._socket.send_str(data)

    @property
    def bot_texts(self) -> list[str]:
        return [
            m.get("text", m.get("caption", "")) for m in self.messages if m.get("type") == "message"
        ]

    @property
    def last_buttons(self) -> list[str]:
        for message in reversed(self.messages):
            if message.get("buttons"):
                return [b["id"] for b in message["buttons"]]
        return []

    async def wait_for(
        self, condition: Callable[[WebchatClient], bool], timeout: float = 10
    ) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: condition(self))

    async def wait_for_text(self, fragment: str, timeout: float = 10) -> str:
        """Wait until a bot message containing `fragment` arrives; return its text."""

        def found(client: WebchatClient) -> bool:
            return any(fragment in text for text in client.bot_texts)

        await self.wait_for(found, timeout)
        return next(text for text in self.bot_texts if fragment in text)

    async def wait_for_count(self, count: int, timeout: float = 10) -> None:
        await self.wait_for(lambda c: len(c.bot_texts) >= count, timeout)

    async def _read(self) -> None:
        assert self._socket is not None
        async for frame in self._socket:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = frame.json()
            async with self._changed:
                if data["type"] == "session":
                    self.session = data["session"]
                elif data["type"] == "history":
                    self.messages = [m for m in data["messages"] if m.get("author") != "debtor"]
                elif data["type"] == "message":
                    self.messages.append(data)
                else:
                    self.messages.append(data)
                self._changed.notify_all()
