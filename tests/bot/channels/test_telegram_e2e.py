"""Telegram end to end: real python-telegram-bot polling the loopback Bot API, the real
conversation service, storage and outbox — a debtor negotiates exactly as in the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.invites import create_invite
from bot.testing.fake_telegram import FakeTelegramApi
from bot.testing.telegram_user import TelegramUser
from bot.wiring import attach_telegram
from storage import Database, tables
from tests.support.harness import REFERENCE_NOW, RunningQuita, running_quita

MARCOS_CPF = "529.982.247-25"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def quita(database_url: str, fake: FakeTelegramApi) -> AsyncIterator[RunningQuita]:
    settings = {"telegram_bot_token": fake.token, "telegram_api_base_url": fake.base_url}
    async with running_quita(database_url, settings=settings, attach=[attach_telegram]) as q:
        yield q


async def stored_rows(database_url: str, table: str) -> list[dict[str, object]]:
    db = Database(database_url)
    try:
        async with db.transaction(write=False) as tx:
            result = await tx.connection.execute(select(getattr(tables, table)))
            return [dict(row) for row in result.mappings().all()]
    finally:
        await db.dispose()


async def test_debtor_negotiates_a_6x_pix_plan_by_buttons(
    database_url: str, fake: FakeTelegramApi, quita: RunningQuita
) -> None:
    marcos = TelegramUser(fake, 7001)
    await marcos.say("/start")
    await marcos.wait_for_text("CPF")
    await marcos.say(MARCOS_CPF)
    total = await marcos.wait_for_text("Total atualizado")
    assert "R$ 2.512,80" in total
    await marcos.wait_for_button("installments")
    await marcos.press("installments")
    await marcos.wait_for_button("plan:6")
    await marcos.press("plan:6")
    await marcos.wait_for_button("ch:pix")
    await marcos.press("ch:pix")
    summary = await marcos.wait_for_text("Confira o seu acordo")
    assert "6 parcelas de R$ 418,80" in summary
    await marcos.wait_for_button("confirm")
    await marcos.press("confirm")

    [photo] = await fake.wait_for_calls("sendPhoto", chat_id=7001)
    code = await fake.wait_for_calls("sendMessage", chat_id=7001, parse_mode="HTML")
    assert photo.files["photo"].startswith(PNG_SIGNATURE)
    pix = str(code[-1].params["text"])
    assert pix.startswith("<code>000201")
    assert "br.gov.bcb.pix" in pix
    assert pix.endswith("</code>")
    assert fake.calls.index(photo) < fake.calls.index(code[-1])
    # Every button tap stopped the app's loading spinner.
    assert len(fake.calls_to("answerCallbackQuery")) == 4

    agreements = await stored_rows(database_url, "agreement")
    assert [a["total_cents"] for a in agreements] == [251_280]


async def test_debtor_negotiates_by_free_text(
    database_url: str, fake: FakeTelegramApi, quita: RunningQuita
) -> None:
    marcos = TelegramUser(fake, 7002)
    await marcos.say("oi, recebi uma mensagem de vocês")
    await marcos.wait_for_text("CPF")
    await marcos.say(f"meu cpf é {MARCOS_CPF}")
    await marcos.wait_for_text("Total atualizado")
    await marcos.say("quero parcelar")
    await marcos.wait_for_button("plan:6")
    await marcos.say("6x")
    await marcos.wait_for_button("ch:pix")
    await marcos.say("pix")
    await marcos.wait_for_text("Confira o seu acordo")
    await marcos.say("sim, pode fechar")

    [photo] = await fake.wait_for_calls("sendPhoto", chat_id=7002)
    [code] = await fake.wait_for_calls("sendMessage", chat_id=7002, parse_mode="HTML")
    assert photo.files["photo"].startswith(PNG_SIGNATURE)
    assert "br.gov.bcb.pix" in str(code.params["text"])
    agreements = await stored_rows(database_url, "agreement")
    installments = await stored_rows(database_url, "installment")
    assert [(a["total_cents"], a["payment_channel"]) for a in agreements] == [(251_280, "pix")]
    assert sorted(i["amount_cents"] for i in installments) == [41_880] * 6


async def marcos_id(q: RunningQuita) -> int:
    async with q.quita.db.transaction(write=False) as tx:
        debtor = await tx.debtors.by_cpf("52998224725")
    assert debtor is not None
    return debtor.id


async def invite_for_marcos(q: RunningQuita, *, issued_days_ago: int = 0) -> str:
    issued = REFERENCE_NOW - timedelta(days=issued_days_ago)
    debtor_id = await marcos_id(q)
    async with q.quita.db.transaction() as tx:
        return await create_invite(tx, debtor_id, issued, timedelta(days=30))


async def test_deep_link_greets_by_name_and_still_verifies(
    fake: FakeTelegramApi, quita: RunningQuita
) -> None:
    token = await invite_for_marcos(quita)
    marcos = TelegramUser(fake, 7003)
    await marcos.say(f"/start {token}")

    greeting = await marcos.wait_for_text("Olá, Marcos")
    assert "R$" not in greeting  # nothing about the debt before verification
    await marcos.wait_for_replies(2)
    assert "Total atualizado" not in " ".join(marcos.texts)
    await marcos.say("529")
    await marcos.wait_for_text("Total atualizado")

    async with quita.quita.db.transaction(write=False) as tx:
        contact = await tx.contacts.by_address("telegram", "7003")
    assert contact is not None
    assert contact.debtor_id == await marcos_id(quita)
    assert contact.verified_at is not None


async def test_a_reused_link_gets_a_clear_message_and_the_cpf_path(
    fake: FakeTelegramApi, quita: RunningQuita
) -> None:
    token = await invite_for_marcos(quita)
    await TelegramUser(fake, 7004).say(f"/start {token}")
    await TelegramUser(fake, 7004).wait_for_text("Olá, Marcos")

    forwarded = TelegramUser(fake, 7005, first_name="Outra")
    await forwarded.say(f"/start {token}")
    await forwarded.wait_for_text("Este link não vale mais")
    await forwarded.wait_for_text("Pode me dizer o seu CPF?")
    assert not any("Marcos" in text for text in forwarded.texts)


async def test_an_expired_link_gets_a_clear_message_and_the_cpf_path(
    fake: FakeTelegramApi, quita: RunningQuita
) -> None:
    token = await invite_for_marcos(quita, issued_days_ago=31)
    marcos = TelegramUser(fake, 7006, language_code="en")
    await marcos.say(f"/start {token}")

    await marcos.wait_for_text("This link is no longer valid")
    await marcos.wait_for_text("CPF")
    await marcos.say(MARCOS_CPF)
    await marcos.wait_for_text("Updated total")
