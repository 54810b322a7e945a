"""The bench's Bot API in its own process: fed over HTTP, read by real PTB."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot

from bot.channels.telegram.http import AiohttpRequest
from bot.testing.fake_telegram import UPDATES_PATH, text_message
from bot.testing.fake_telegram_process import FakeTelegramProcess


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramProcess]:
    async with FakeTelegramProcess() as running:
        yield running


async def test_updates_pushed_over_http_come_out_of_get_updates_in_order(
    fake: FakeTelegramProcess,
) -> None:
    ids = await fake.push_many([{"message": text_message(7, text)} for text in ("oi", "sim")])

    async with Bot(fake.token, base_url=fake.base_url, request=AiohttpRequest()) as bot:
        updates = await bot.get_updates(timeout=0)

    assert [u.update_id for u in updates] == ids
    assert [u.effective_message.text for u in updates if u.effective_message] == ["oi", "sim"]
    assert {u.effective_chat.id for u in updates if u.effective_chat} == {7}


async def test_a_malformed_push_is_refused_and_queues_nothing(fake: FakeTelegramProcess) -> None:
    url = f"http://127.0.0.1:{fake.port}{UPDATES_PATH}"
    async with aiohttp.ClientSession() as session:
        for body in (b"not json", b'{"message": 1}', b"[1, 2]"):
            async with session.post(url, data=body) as response:
                assert response.status == 400

    async with Bot(fake.token, base_url=fake.base_url, request=AiohttpRequest()) as bot:
        assert await bot.get_updates(timeout=0) == ()


async def test_the_process_is_gone_after_the_block() -> None:
    async with FakeTelegramProcess() as fake:
        process = fake._process
        assert process is not None
        assert process.is_alive()

    assert not process.is_alive()
