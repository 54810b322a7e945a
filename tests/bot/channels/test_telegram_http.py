"""The aiohttp transport under python-telegram-bot: what reaches the Bot API, and what PTB is
told when the network fails."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData

from bot.channels.telegram.http import AiohttpRequest

TOKEN = "123:abc"
BOT_USER = {"id": 123, "is_bot": True, "first_name": "Quita", "username": "quita_bot"}


@dataclass
class BotApiStub:
    """A loopback server that records requests and answers like the Bot API."""

    base_url: str = ""
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    hold: bool = False
    arrivals: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    async def handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            form = await request.post()
            fields = {
                name: (value.file.read(), value.filename, value.content_type)
                if isinstance(value, web.FileField)
                else value
                for name, value in form.items()
            }
            self.requests.append(
                {
                    "path": request.path,
                    "agent": request.headers.get("User-Agent", ""),
                    "type": request.content_type,
                    "fields": fields,
                }
            )
            self.arrivals.put_nowait(request.path)
            if self.hold:
                await self.release.wait()
            if request.path.endswith("/fail"):
                return web.json_response(
                    {"ok": False, "error_code": 400, "description": "Bad Request: no"},
                    status=400,
                )
            if request.path.endswith("/getMe"):
                return web.json_response({"ok": True, "result": BOT_USER})
            return web.json_response({"ok": True, "result": {"echo": fields.get("text")}})
        finally:
            self.in_flight -= 1


@pytest.fixture
async def api() -> AsyncIterator[BotApiStub]:
    stub = BotApiStub()
    app = web.Application()
    app.router.add_post("/{tail:.*}", stub.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    stub.base_url = f"http://127.0.0.1:{port}/bot"
    stub.url = f"{stub.base_url}{TOKEN}"
    try:
        yield stub
    finally:
        stub.release.set()
        await runner.cleanup()


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    transport = AiohttpRequest(connection_pool_size=2, read_timeout=5.0)
    await transport.initialize()
    try:
        yield transport
    finally:
        await transport.shutdown()


async def test_parameters_reach_the_api_as_ptb_encodes_them(api: BotApiStub) -> None:
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
        result = await bot.do_api_request(
            "echoText", api_kwargs={"chat_id": 42, "text": "Olá, Ana 😊"}
        )

    assert result == {"echo": "Olá, Ana 😊"}
    sent = api.requests[-1]
    assert sent["path"] == f"/bot{TOKEN}/echoText"
    assert sent["type"] == "application/x-www-form-urlencoded"
    assert sent["fields"]["chat_id"] == "42"
    assert sent["agent"].startswith("python-telegram-bot")


async def test_files_go_up_as_multipart_with_name_and_type(api: BotApiStub) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
        await bot.do_api_request(
            "uploadFile",
            api_kwargs={"chat_id": 42, "photo": InputFile(png, filename="pix.png")},
        )

    sent = api.requests[-1]
    assert sent["type"] == "multipart/form-data"
    assert sent["fields"]["chat_id"] == "42"
    content, filename, content_type = sent["fields"]["photo"]
    assert (content, filename, content_type) == (png, "pix.png", "image/png")


async def test_an_error_answer_is_returned_for_ptb_to_classify(
    api: BotApiStub, request_: AiohttpRequest
) -> None:
    status, body = await request_.do_request(f"{api.url}/fail", "POST", RequestData([]))

    assert status == 400
    assert json.loads(body)["description"] == "Bad Request: no"


async def test_a_silent_server_is_a_timeout(api: BotApiStub, request_: AiohttpRequest) -> None:
    api.hold = True

    with pytest.raises(TimedOut):
        await request_.do_request(f"{api.url}/getMe", "POST", read_timeout=0.05)


async def test_a_refused_connection_is_a_network_error(request_: AiohttpRequest) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the request: nobody listens

    with pytest.raises(NetworkError, match="aiohttp"):
        await request_.do_request(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", "POST")


async def test_an_error_that_quotes_the_url_leaves_the_bot_token_out(
    request_: AiohttpRequest,
) -> None:
    with pytest.raises(NetworkError) as raised:
        await request_.do_request(f"http://:80/bot{TOKEN}/getMe", "POST")  # no host at all

    assert "/bot<token>/getMe" in str(raised.value)
    assert TOKEN not in str(raised.value)
    assert raised.value.__cause__ is None  # the original error quoted it


async def test_requests_beyond_the_pool_wait_for_a_connection(
    api: BotApiStub, request_: AiohttpRequest
) -> None:
    api.hold = True
    calls = [asyncio.create_task(request_.do_request(f"{api.url}/getMe", "POST")) for _ in range(5)]
    for _ in range(2):
        await api.arrivals.get()

    assert api.in_flight == 2
    api.release.set()
    answers = await asyncio.gather(*calls)

    assert [status for status, _ in answers] == [200] * 5
    assert api.most_in_flight == 2


async def test_the_pool_opens_again_after_shutdown(api: BotApiStub) -> None:
    transport = AiohttpRequest()
    with pytest.raises(RuntimeError, match="initialize"):
        await transport.do_request(f"{api.url}/getMe", "POST")
    await transport.initialize()
    await transport.shutdown()
    await transport.shutdown()  # twice is fine
    await transport.initialize()
    try:
        status, _ = await transport.do_request(f"{api.url}/getMe", "POST")
    finally:
        await transport.shutdown()
    assert status == 200


def test_the_environments_proxy_is_used_unless_the_host_is_exempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    transport = AiohttpRequest()

    assert transport._proxy_for("https://api.telegram.org/bot1:a/getMe") == (
        "http://proxy.example:3128"
    )
    assert transport._proxy_for("http://127.0.0.1:8081/bot1:a/getMe") is None
