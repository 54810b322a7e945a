"""The web chat end to end: a debtor negotiates in the browser's protocol, over a real socket."""

from __future__ import annotations

from sqlalchemy import select

from storage import Database, tables
from tests.support.harness import WebchatClient, running_quita


async def test_debtor_negotiates_a_6x_plan_in_the_web_chat(database_url: str) -> None:
    async with running_quita(database_url) as q, WebchatClient(q.base_url) as chat:
        await chat.hello()
        await chat.wait_for_text("CPF")
        await chat.say("529.982.247-25")
        total = await chat.wait_for_text("Total atualizado")
        assert "R$ 2.512,80" in total
        await chat.wait_for(lambda c: "installments" in c.last_buttons)
        await chat.press("installments")
        await chat.wait_for(lambda c: "plan:6" in c.last_buttons)
        await chat.press("plan:6")
        await chat.wait_for(lambda c: "ch:pix" in c.last_buttons)
        await chat.press("ch:pix")
        summary = await chat.wait_for_text("Confira o seu acordo")
        assert "6 parcelas de R$ 418,80" in summary
        await chat.press("confirm")
        await chat.wait_for(lambda c: any(m.get("copy_code") for m in c.messages))
        code = next(m["text"] for m in chat.messages if m.get("copy_code"))
        assert code.startswith("000201")
        assert "br.gov.bcb.pix" in code
        assert any(m.get("image", "").startswith("data:image/png;base64,") for m in chat.messages)

    db = Database(database_url)
    try:
        async with db.transaction(write=False) as tx:
            agreements = (await tx.connection.execute(select(tables.agreement))).mappings().all()
            installments = (
                (await tx.connection.execute(select(tables.installment))).mappings().all()
            )
            outbox = (await tx.connection.execute(select(tables.outbox))).mappings().all()
        assert [a["total_cents"] for a in agreements] == [251_280]
        assert sorted(i["amount_cents"] for i in installments) == [41_880] * 6
        assert outbox
        assert all(row["status"] == "sent" for row in outbox)
    finally:
        await db.dispose()


async def test_reconnecting_tab_gets_the_history_and_continues(database_url: str) -> None:
    async with running_quita(database_url) as q:
        async with WebchatClient(q.base_url) as first:
            await first.hello()
            await first.wait_for_text("CPF")
            await first.say("52998224725")
            await first.wait_for_text("Total atualizado")
            session = first.session
        async with WebchatClient(q.base_url) as again:
            again.session = session
            await again.hello()
            await again.wait_for(lambda c: "installments" in c.last_buttons)
            await again.press("installments")
            await again.wait_for(lambda c: "plan:6" in c.last_buttons)


async def test_bad_frames_get_clear_errors_and_the_chat_keeps_working(database_url: str) -> None:
    async with running_quita(database_url) as q, WebchatClient(q.base_url) as chat:
        await chat.hello()
        await chat.wait_for_text("CPF")
        await chat.send_raw("{not json")
        await chat.say("x" * 20_000)
        await chat.send_raw('{"type": "sticker", "id": "1"}')
        await chat.wait_for(
            lambda c: (
                [m.get("code") for m in c.messages if m["type"] == "error"]
                == ["malformed", "too_long", "unknown_type"]
            )
        )
        await chat.say("529.982.247-25")
        await chat.wait_for_text("Total atualizado")


async def test_the_same_client_message_id_twice_is_answered_once(database_url: str) -> None:
    async with running_quita(database_url) as q, WebchatClient(q.base_url) as chat:
        await chat.hello()
        await chat.wait_for_text("CPF")
        before = len(chat.bot_texts)
        await chat.say("529.982.247-25", message_id="dup-1")
        await chat.say("529.982.247-25", message_id="dup-1")
        await chat.say("ajuda", message_id="marker")
        await chat.wait_for(lambda c: len(c.bot_texts) > before + 4)
        balance_messages = [t for t in chat.bot_texts if "Total atualizado" in t]
        assert len(balance_messages) == 1
