"""Webhook mode through the whole app: Telegram POSTs to Quita's own server, which answers
only requests carrying the secret, and a redelivered update is answered once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.channels.telegram import SECRET_HEADER, WEBHOOK_PATH
from bot.testing.fake_telegram import FakeTelegramApi, text_message
from bot.testing.telegram_user import TelegramUser
from bot.wiring import attach_telegram
from tests.support.harness import RunningQuita, running_quita

SECRET = "webhook_Secret-123"
PUBLIC_URL = "https://cobranca.example.com.br"


@pytest.fixture
async def quita(database_url: str, fake: FakeTelegramApi) -> AsyncIterator[RunningQuita]:
    settings = {
        "telegram_bot_token": fake.token,
        "telegram_api_base_url": fake.base_url,
        "telegram_mode": "webhook",
        "telegram_webhook_secret": SECRET,
        "quita_public_url": PUBLIC_URL,
    }
    async with running_quita(database_url, settings=settings, attach=[attach_telegram]) as q:
        yield q


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post_update(
    http: aiohttp.ClientSession, q: RunningQuita, update: dict[str, Any], secret: str | None
) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with http.post(q.base_url + WEBHOOK_PATH, json=update, headers=headers) as response:
        return response.status


def update_from(fake: FakeTelegramApi, chat_id: int, text: str) -> dict[str, Any]:
    return {"update_id": fake.next_update_id(), "message": text_message(chat_id, text)}


async def test_start_registers_the_webhook_with_its_secret(
    fake: FakeTelegramApi, quita: RunningQuita
) -> None:
    assert fake.webhook["url"] == PUBLIC_URL + WEBHOOK_PATH
    assert fake.webhook["secret_token"] == SECRET
    assert fake.calls_to("getUpdates") == []


async def test_the_right_secret_gets_a_reply_others_get_403(
    fake: FakeTelegramApi, quita: RunningQuita, http: aiohttp.ClientSession
) -> None:
    maria = TelegramUser(fake, 8001)

    assert await post_update(http, quita, update_from(fake, 8001, "/start"), None) == 403
    assert await post_update(http, quita, update_from(fake, 8001, "/start"), "wrong") == 403
    assert await post_update(http, quita, update_from(fake, 8001, "/start"), SECRET) == 200

    await maria.wait_for_text("CPF")
    greetings = [text for text in maria.texts if text.startswith("Olá")]
    assert len(greetings) == 1


async def test_a_redelivered_update_is_answered_once(
    fake: FakeTelegramApi, quita: RunningQuita, http: aiohttp.ClientSession
) -> None:
    maria = TelegramUser(fake, 8002)
    await post_update(http, quita, update_from(fake, 8002, "/start"), SECRET)
    await maria.wait_for_text("CPF")
    cpf = update_from(fake, 8002, "529.982.247-25")

    assert await post_update(http, quita, cpf, SECRET) == 200
    assert await post_update(http, quita, cpf, SECRET) == 200  # Telegram retried
    # A marker: a chat's replies leave in order, so once its answer is here, any reply to
    # the duplicate would be here too.
    await post_update(http, quita, update_from(fake, 8002, "ajuda"), SECRET)
    await maria.wait_for_text("Posso te ajudar")

    assert sum("Total atualizado" in text for text in maria.texts) == 1
