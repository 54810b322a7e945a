"""Delivery through the outbox to the loopback Bot API: Telegram's 429 and 403 are obeyed,
and 200 debtors chatting at once all get every reply, each chat in order."""

from __future__ import annotations

from sqlalchemy import select

from bot.bench import cpf_for, seed_debtors
from bot.clock import SystemClock
from bot.testing.fake_telegram import FakeTelegramApi, text_message
from bot.testing.telegram_user import TelegramUser
from bot.wiring import attach_telegram
from storage import Database, tables
from tests.support.harness import running_quita
from tests.waiting import eventually

BLOCKED = "Forbidden: bot was blocked by the user"


def telegram_settings(fake: FakeTelegramApi) -> dict[str, str]:
    return {"telegram_bot_token": fake.token, "telegram_api_base_url": fake.base_url}


async def all_rows_are(db: Database, status: str) -> bool:
    async with db.transaction(write=False) as tx:
        statuses = (await tx.connection.execute(select(tables.outbox.c.status))).scalars().all()
    return bool(statuses) and all(s == status for s in statuses)


async def test_429_is_retried_after_the_time_telegram_asks_for(
    database_url: str, fake: FakeTelegramApi
) -> None:
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    async with running_quita(
        database_url,
        clock=SystemClock(),  # the wait is real time here
        settings=telegram_settings(fake),
        attach=[attach_telegram],
    ):
        maria = TelegramUser(fake, 9001)
        await maria.say("/start")
        await maria.wait_for_text("CPF")

    attempts = fake.calls_to("sendMessage", chat_id=9001)
    refused, delivered = attempts[0], attempts[1]
    assert refused.status == 429
    assert delivered.status == 200
    assert delivered.params["text"] == refused.params["text"]
    assert delivered.at - refused.at >= 1.0
    # Delivered once, and the chat's next message did not overtake the delayed one.
    assert [c.params["text"] for c in attempts if c.status == 200] == maria.texts
    assert maria.texts[0].startswith("Olá")
    assert "CPF" in maria.texts[-1]


async def test_a_blocked_bot_marks_the_contact_unreachable_without_retrying(
    database_url: str, fake: FakeTelegramApi
) -> None:
    fake.fail_next("sendMessage", 403, BLOCKED, times=100)
    async with running_quita(
        database_url, settings=telegram_settings(fake), attach=[attach_telegram]
    ) as q:
        await fake.push_text(9002, "/start")
        db = q.quita.db
        await eventually(lambda: all_rows_are(db, "failed"))
        async with db.transaction(write=False) as tx:
            contact = await tx.contacts.by_address("telegram", "9002")
            rows = (await tx.connection.execute(select(tables.outbox))).mappings().all()

    assert contact is not None
    assert contact.unreachable_at is not None
    assert contact.unreachable_reason is not None
    assert "blocked" in contact.unreachable_reason
    # One attempt per message: a block is not something to retry.
    assert len(fake.calls_to("sendMessage", chat_id=9002)) == len(rows) >= 1
    assert all(row["attempts"] == 1 for row in rows)


async def test_200_debtors_at_once_get_every_reply_in_order(
    database_url: str, fake: FakeTelegramApi
) -> None:
    debtors = 200
    async with running_quita(
        database_url, settings=telegram_settings(fake), attach=[attach_telegram]
    ) as q:
        await seed_debtors(q.quita.db, debtors, lambda _done: None)
        chats = [TelegramUser(fake, 20_000 + n) for n in range(debtors)]
        # Three messages per chat in one batch, interleaved across chats: if any chat's
        # updates were handled out of order, its replies would differ from the others'.
        await fake.push_many(
            [
                {"message": text_message(chat.chat_id, text)}
                for text in ("/start", None, "quero parcelar")
                for n, chat in enumerate(chats)
                for text in [text or cpf_for(n)]
            ]
        )
        await fake.wait_for(lambda: all("plan:6" in chat.last_buttons for chat in chats), 60)
        await eventually(lambda: all_rows_are(q.quita.db, "sent"))
        async with q.quita.db.transaction(write=False) as tx:
            outbox = (await tx.connection.execute(select(tables.outbox.c.status))).all()

    def anonymous(n: int, chat: TelegramUser) -> list[str]:
        return [text.replace(f"Pessoa Teste {n}", "NAME") for text in chat.texts]

    reference = anonymous(0, chats[0])
    assert reference[0].startswith("Olá")
    assert "CPF" in reference[1]
    assert any("Total atualizado" in text for text in reference)
    different = [n for n, chat in enumerate(chats) if anonymous(n, chat) != reference]
    assert different == [], (reference, anonymous(different[0], chats[different[0]]))
    assert len(outbox) == debtors * len(reference)
    assert all(status == "sent" for (status,) in outbox)
