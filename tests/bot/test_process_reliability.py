"""Crash and scale-out, with real `quita run` processes and the loopback Telegram Bot API.

- SIGKILL in the middle of a conversation: after a restart the debtor continues where they
  were, every committed reply reaches Telegram exactly once, nothing committed is lost.
- Two processes on one PostgreSQL receiving the same webhook updates: no duplicate replies,
  each chat's replies in order.
"""

from __future__ import annotations

import asyncio
import html
import signal
from datetime import UTC, date, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.demo import SAMPLE_DEBTS_CSV
from bot.importing import import_debts
from bot.testing.fake_telegram import FakeTelegramApi, text_message
from storage import Database
from tests.support.processes import QuitaProcess, environment, free_port

pytestmark = pytest.mark.slow
SECRET = "webhook-secret_123"


def telegram_env(
    tmp_path: Path, fake: FakeTelegramApi, database_url: str, **extra: str
) -> dict[str, str]:
    return environment(
        tmp_path,
        free_port(),
        QUITA_DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
        **extra,
    )


async def seed(database_url: str) -> None:
    db = Database(database_url)
    try:
        await import_debts(db, SAMPLE_DEBTS_CSV, today=date.today(), now=datetime.now(UTC))
    finally:
        await db.dispose()


async def expect_sent(fake: FakeTelegramApi, chat: int, fragment: str) -> None:
    """Wait until Telegram received a message containing `fragment` (says what it got if not)."""
    try:
        await fake.wait_for(lambda: any(fragment in t for t in fake.sent_to(chat)), 40)
    except TimeoutError:
        pytest.fail(f"no message with {fragment!r}; Telegram received {fake.sent_to(chat)}")


async def outbox_drained(database_url: str, timeout: float) -> None:
    """Wait until no committed message is left unsent (checked as the outboxes work)."""
    db = Database(database_url)
    try:
        async with asyncio.timeout(timeout):
            while True:
                async with db.transaction(write=False) as tx:
                    if await tx.outbox.pending_count() == 0:
                        return
                await asyncio.sleep(0.2)  # another process does the work; re-check its result
    finally:
        await db.dispose()


def as_plain(text: str) -> str:
    """Telegram receives copy-and-paste codes as HTML <code>; compare the plain text."""
    return html.unescape(text.removeprefix("<code>").removesuffix("</code>"))


async def outbound_texts(database_url: str, chat_id: int) -> list[str]:
    db = Database(database_url)
    try:
        async with db.transaction(write=False) as tx:
            conv = await tx.conversations.by_key("telegram", str(chat_id))
            assert conv is not None
            rows = await tx.messages.transcript(conv.id)
        # What Telegram shows: photos by caption, everything else by text.
        return [r.text for r in rows if r.direction == "out"]
    finally:
        await db.dispose()


async def test_sigkill_mid_conversation_loses_nothing_and_sends_nothing_twice(
    database_url: str, tmp_path: Path
) -> None:
    chat = 7001
    await seed(database_url)
    async with FakeTelegramApi() as fake:
        # A short send reservation, so the restarted process may resend without a long wait.
        env = telegram_env(tmp_path, fake, database_url, QUITA_OUTBOX_LEASE_SECONDS="2")
        first = QuitaProcess("run", env=env, cwd=tmp_path)
        await first.start()
        try:
            await first.wait_for_line("serving on port")
            await fake.push_text(chat, "/start")
            await expect_sent(fake, chat, "CPF")
            await fake.push_text(chat, "529.982.247-25")
            await expect_sent(fake, chat, "Como prefere")
            # Telegram starts failing: the next replies are committed but cannot be sent.
            fake.fail_next("sendMessage", 502, "Bad Gateway", times=10_000)
            await fake.push_callback(chat, "installments")
            await fake.wait_for(
                lambda: any(c.status == 502 for c in fake.calls_to("sendMessage")), 30
            )
        finally:
            killed = await first.stop(signal.SIGKILL)
        assert killed == -signal.SIGKILL
        fake._failures.clear()  # Telegram is back

        second = QuitaProcess("run", env=env, cwd=tmp_path)
        await second.start()
        try:
            await expect_sent(fake, chat, "opções")
            await fake.push_callback(chat, "plan:6")
            await fake.wait_for(
                lambda: any("Como prefere pagar" in t for t in fake.sent_to(chat)), 30
            )
            await fake.push_callback(chat, "ch:pix")
            await expect_sent(fake, chat, "Confira")
            await fake.push_callback(chat, "confirm")
            await fake.wait_for(lambda: bool(fake.calls_to("sendPhoto", chat_id=chat)), 30)
            await expect_sent(fake, chat, "br.gov.bcb.pix")
        finally:
            assert await second.stop(signal.SIGTERM) == 0

    committed = await outbound_texts(database_url, chat)
    delivered = [as_plain(text) for text in fake.sent_to(chat)]
    assert len(delivered) == len(committed)
    for text in committed:
        assert delivered.count(text) == committed.count(text), text


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_processes_share_webhook_traffic_without_duplicates(
    database_url: str, tmp_path: Path
) -> None:
    chats = [8100 + n for n in range(12)]
    words = ["/start", "529.982.247-25", "ajuda", "quero parcelar", "ajuda"]
    await seed(database_url)
    async with FakeTelegramApi() as fake:
        processes: list[QuitaProcess] = []
        ports: list[int] = []
        for n in range(2):
            port = free_port()
            env = telegram_env(
                tmp_path / str(n),
                fake,
                database_url,
                QUITA_HTTP_PORT=str(port),
                TELEGRAM_MODE="webhook",
                TELEGRAM_WEBHOOK_SECRET=SECRET,
                QUITA_PUBLIC_URL="https://quita.example",
            )
            (tmp_path / str(n)).mkdir()
            process = QuitaProcess("run", env=env, cwd=tmp_path / str(n))
            await process.start()
            processes.append(process)
            ports.append(port)
        try:
            for process in processes:
                await process.wait_for_line("serving on port")
            update_ids = iter(range(50_000, 60_000))
            async with aiohttp.ClientSession() as http:

                async def post(port: int, update: dict[str, object]) -> None:
                    async with http.post(
                        f"http://127.0.0.1:{port}/telegram/webhook",
                        json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    ) as response:
                        assert response.status == 200

                async def debtor(chat: int) -> None:
                    for word in words:
                        update = {
                            "update_id": next(update_ids),
                            "message": text_message(chat, word),
                        }
                        # The load balancer delivers it to both processes (a retry storm).
                        await asyncio.gather(post(ports[0], update), post(ports[1], update))

                await asyncio.gather(*(debtor(chat) for chat in chats))
            # Telegram allows ~1 message/s per chat: let the outboxes finish at that pace.
            await outbox_drained(database_url, timeout=90)
        finally:
            for process in processes:
                assert await process.stop(signal.SIGTERM) == 0

        for chat in chats:
            committed = await outbound_texts(database_url, chat)
            assert [as_plain(text) for text in fake.sent_to(chat)] == committed
            assert sum("Total atualizado" in t for t in committed) == 1
