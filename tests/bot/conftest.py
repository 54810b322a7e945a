"""Fixtures shared by the runtime tests: the loopback Telegram Bot API and a recording sink."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.testing.fake_telegram import FakeTelegramApi
from tests.fakes.telegram_api import RecordingSink


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramApi]:
    """A fake Telegram Bot API on 127.0.0.1 (each test gets its own)."""
    async with FakeTelegramApi() as api:
        yield api


@pytest.fixture
def sink() -> RecordingSink:
    """Records every Inbound a channel hands over, in order."""
    return RecordingSink()
