"""Webhook mode: only Telegram (holding the secret) gets in, and 200 means recorded."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.telegram import SECRET_HEADER, TelegramChannel, telegram_webhook_routes
from bot.settings import TelegramMode
from dialogs.flow.events import ButtonPressed, TextReceived
from tests.fakes.telegram_api import (
    FakeTelegramApi,
    RecordingSink,
    callback_update,
    text_message,
)

SECRET = "s3cr3t_Token-for-tests"
PUBLIC_URL = "https://quita.example.com.br"


@pytest.fixture
async def channel(fake: FakeTelegramApi, sink: RecordingSink) -> AsyncIterator[TelegramChannel]:
    webhook = TelegramChannel(
        token=fake.token,
        sink=sink,
        mode=TelegramMode.WEBHOOK,
        base_url=fake.base_url,
        webhook_secret=SECRET,
        public_url=PUBLIC_URL + "/",
    )
    await webhook.start()
    try:
        yield webhook
    finally:
        await webhook.stop()


@pytest.fixture
async def client(channel: TelegramChannel) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    app.add_routes(telegram_webhook_routes(channel))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def text_update(fake: FakeTelegramApi, chat_id: int, text: str) -> dict[str, Any]:
    return {"update_id": fake.next_update_id(), "message": text_message(chat_id, text)}


async def post(
    client: TestClient[Any, Any], body: dict[str, Any] | bytes, secret: str | None = SECRET
) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await client.post(
        "/telegram/webhook",
        data=io.BytesIO(data),
        headers={**headers, "Content-Type": "application/json"},
    )
    await response.read()
    return response.status


async def test_start_registers_the_webhook_with_its_secret(
    fake: FakeTelegramApi, channel: TelegramChannel
) -> None:
    [call] = fake.calls_to("setWebhook")

    assert call.params["url"] == f"{PUBLIC_URL}/telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert channel.application.updater is None
    assert fake.calls_to("getUpdates") == []


async def test_the_right_secret_is_recorded_before_200(
    fake: FakeTelegramApi, sink: RecordingSink, client: TestClient[Any, Any]
) -> None:
    update = text_update(fake, 6001, "Olá, quero negociar")

    assert await post(client, update) == 200

    [inbound] = sink.inbounds  # already there: 200 is only sent after the sink accepted
    assert inbound.event == TextReceived("Olá, quero negociar")
    assert inbound.message_id == str(update["update_id"])
    assert inbound.key.address == "6001"


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
async def test_without_the_secret_nothing_gets_in(
    fake: FakeTelegramApi, sink: RecordingSink, client: TestClient[Any, Any], secret: str | None
) -> None:
    assert await post(client, text_update(fake, 6002, "oi"), secret=secret) == 403
    assert sink.inbounds == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}', b""],
)
async def test_malformed_bodies_are_rejected(
    sink: RecordingSink, client: TestClient[Any, Any], body: bytes
) -> None:
    assert await post(client, body) == 400
    assert sink.inbounds == []


async def test_oversized_bodies_are_refused(
    fake: FakeTelegramApi, sink: RecordingSink, client: TestClient[Any, Any]
) -> None:
    update = text_update(fake, 6003, "x" * (1024 * 1024 + 1))

    assert await post(client, update) == 413
    assert sink.inbounds == []


async def test_a_failed_recording_asks_telegram_to_redeliver(
    fake: FakeTelegramApi, sink: RecordingSink, client: TestClient[Any, Any]
) -> None:
    update = text_update(fake, 6004, "pode parcelar?")
    sink.failures_left = 1

    assert await post(client, update) == 500
    assert await post(client, update) == 200

    assert [i.message_id for i in sink.inbounds] == [str(update["update_id"])]


async def test_button_taps_are_answered_in_webhook_mode_too(
    fake: FakeTelegramApi, sink: RecordingSink, client: TestClient[Any, Any]
) -> None:
    update = {"update_id": fake.next_update_id(), **callback_update(6005, "pay_boleto")}

    assert await post(client, update) == 200

    assert sink.events_in("6005") == [ButtonPressed("pay_boleto")]
    assert len(fake.calls_to("answerCallbackQuery")) == 1


def test_webhook_mode_refuses_to_start_without_a_usable_secret(fake: FakeTelegramApi) -> None:
    for secret in (None, "", "has spaces", "x" * 257):
        with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
            TelegramChannel(
                token=fake.token,
                sink=RecordingSink(),
                mode=TelegramMode.WEBHOOK,
                base_url=fake.base_url,
                webhook_secret=secret,
                public_url=PUBLIC_URL,
            )
