"""The escalation lifecycle through the console: queue, claim race, talk, plan, hand back, close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.effects import Effects
from bot.web.console import attach_console
from dialogs.flow.events import ReminderDue
from storage import tables
from tests.bot.web.console.support import (
    ConsoleClient,
    make_agent,
    open_escalation_id,
    verified_debtor_asking_for_a_person,
)
from tests.support.harness import RunningQuita, WebchatClient, running_quita

CLAIMED = "Um atendente vai continuar a conversa"


@asynccontextmanager
async def ana_and_an_escalated_debtor(
    database_url: str,
) -> AsyncIterator[tuple[RunningQuita, WebchatClient, ConsoleClient, int, int]]:
    """Ana logged in to the console, and Marcos in the web chat asking for a person:
    (quita, chat, ana, the escalation's id, the chat's conversation id)."""
    async with running_quita(database_url, attach=[attach_console]) as q:
        await make_agent(q, "ana@example.com", "Ana")
        async with WebchatClient(q.base_url) as chat, ConsoleClient(q.base_url) as ana:
            await verified_debtor_asking_for_a_person(chat)
            await ana.login("ana@example.com")
            escalation_id, conversation_id = await open_escalation_id(q)
            yield q, chat, ana, escalation_id, conversation_id


async def test_queue_shows_reason_total_and_waiting_time(database_url: str) -> None:
    async with ana_and_an_escalated_debtor(database_url) as setup:
        q, _, ana, _, _ = setup
        q.quita.clock.advance(timedelta(minutes=7))  # type: ignore[attr-defined]
        queue = await ana.text("/console/fragment/queue")
        assert "Pediu uma pessoa" in queue
        assert "R$\xa02.512,80" in queue or "R$ 2.512,80" in queue
        assert "esperando 7 min" in queue
        assert "Pediu uma pessoa: 1" in queue
        assert "Marcos" in queue


async def test_two_agents_claiming_at_once_one_wins_and_the_other_is_told(
    database_url: str,
) -> None:
    async with running_quita(database_url, attach=[attach_console]) as q:
        await make_agent(q, "ana@example.com", "Ana")
        await make_agent(q, "bia@example.com", "Bia")
        async with (
            WebchatClient(q.base_url) as chat,
            ConsoleClient(q.base_url) as ana,
            ConsoleClient(q.base_url) as bia,
        ):
            await verified_debtor_asking_for_a_person(chat)
            await ana.login("ana@example.com")
            await bia.login("bia@example.com")
            escalation_id, _ = await open_escalation_id(q)
            path = f"/console/escalations/{escalation_id}/claim"
            first, second = await asyncio.gather(ana.post(path), bia.post(path))
            statuses = sorted([first.status, second.status])
            assert statuses == [303, 409]
            loser = first if first.status == 409 else second
            assert "Outra pessoa já assumiu este atendimento." in await loser.text()
            await chat.wait_for_text(CLAIMED)
            claims = [t for t in chat.bot_texts if "Um atendente vai continuar" in t]
            assert len(claims) == 1


async def test_a_claim_whose_hand_over_fails_leaves_the_chat_in_the_queue(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Claim, audit line, hand-over and notice commit together: no claimed chat that the
    bot still answers and nobody can claim again."""
    async with ana_and_an_escalated_debtor(database_url) as setup:
        q, chat, ana, escalation_id, conversation_id = setup
        flush = Effects.flush

        async def fail_once(self: Effects, *args: Any, **kwargs: Any) -> int:
            monkeypatch.setattr(Effects, "flush", flush)
            raise OSError("disk full")

        monkeypatch.setattr(Effects, "flush", fail_once)
        failed = await ana.post(f"/console/escalations/{escalation_id}/claim")
        assert failed.status == 500
        async with q.quita.db.transaction(write=False) as tx:
            escalation = await tx.escalations.get(escalation_id)
            conversation = await tx.conversations.get(conversation_id)
            audit = await tx.audit.recent()
        assert escalation is not None
        assert (escalation.status, escalation.agent_id) == ("open", None)
        assert conversation is not None
        assert conversation.mode == "queued"
        assert not [a for a in audit if a.action == "escalation.claim"]

        retried = await ana.post(f"/console/escalations/{escalation_id}/claim")
        assert retried.status == 303
        await chat.wait_for_text(CLAIMED)
        claims = [t for t in chat.bot_texts if "Um atendente vai continuar" in t]
        assert len(claims) == 1


async def test_agent_takes_over_talks_proposes_a_plan_and_the_debtor_confirms(
    database_url: str,
) -> None:
    async with ana_and_an_escalated_debtor(database_url) as setup:
        q, chat, ana, escalation_id, cid = setup
        claimed = await ana.post(f"/console/escalations/{escalation_id}/claim")
        assert claimed.headers["Location"] == f"/console/c/{cid}"
        await chat.wait_for_text(CLAIMED)

        before = len(chat.bot_texts)
        await chat.say("<script>alert(1)</script> posso pagar em 20x?")
        page = await _wait_for_page(ana, cid, "posso pagar em 20x")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)" not in page
        assert "***.982.247-**" in page
        assert "529.982.247-25" not in page
        assert len(chat.bot_texts) == before  # the bot stays silent while Ana owns the chat

        replied = await ana.post(f"/console/c/{cid}/reply", {"text": "Oi Marcos, vamos ver."})
        assert replied.status == 303
        await chat.wait_for_text("Oi Marcos, vamos ver.")

        beyond = await ana.post(
            f"/console/c/{cid}/plan", {"count": "20", "discount": "0", "channel": "pix"}
        )
        assert beyond.status == 409
        assert "alçada" in await beyond.text()
        plan = await ana.post(
            f"/console/c/{cid}/plan", {"count": "12", "discount": "5", "channel": "pix"}
        )
        assert plan.status == 303
        summary = await chat.wait_for_text("Confira o seu acordo")
        assert "12 parcelas" in summary
        assert chat.last_buttons == ["confirm", "change"]
        await chat.press("confirm")
        await chat.wait_for(lambda c: any(m.get("copy_code") for m in c.messages))

        async with q.quita.db.transaction(write=False) as tx:
            agreements = (await tx.connection.execute(select(tables.agreement))).mappings().all()
            conv = await tx.conversations.get(cid)
            escalation = await tx.escalations.get(escalation_id)
            audit = [(a.actor, a.action) for a in await tx.audit.recent(limit=50)]
        assert [(a["total_cents"], a["discount_cents"]) for a in agreements] == [(238_716, 12_564)]
        assert conv is not None
        assert conv.mode == "bot"
        assert escalation is not None
        assert escalation.status == "closed"
        actor = next(actor for actor, action in audit if action == "escalation.claim")
        assert {("escalation.claim"), "chat.reply", "chat.plan.propose"} <= {
            action for who, action in audit if who == actor
        }


async def test_hand_back_resumes_the_bot_and_close_returns_to_the_bot_later(
    database_url: str,
) -> None:
    async with ana_and_an_escalated_debtor(database_url) as setup:
        q, chat, ana, escalation_id, cid = setup
        await ana.post(f"/console/escalations/{escalation_id}/claim")
        await chat.wait_for_text(CLAIMED)
        handed = await ana.post(f"/console/c/{cid}/handback", {"resume_at": "choosing_channel"})
        assert handed.status == 303
        await chat.wait_for(lambda c: "ch:pix" in c.last_buttons)
        # The bot is back: a new request for a person queues the chat again.
        await chat.say("quero falar com um atendente")
        await chat.wait_for(lambda c: len(c.bot_texts) >= 1)
        second, _ = await _wait_open(q)
        await ana.post(f"/console/escalations/{second}/claim")
        # The second claim's notice too, before counting what the bot says after closing.
        await chat.wait_for(lambda c: sum(CLAIMED in t for t in c.bot_texts) == 2)
        closed = await ana.post(f"/console/c/{cid}/close")
        assert closed.status == 303
        async with q.quita.db.transaction(write=False) as tx:
            conv = await tx.conversations.get(cid)
        assert conv is not None
        assert conv.mode == "closed"
        count = len(chat.bot_texts)
        await chat.say("oi")
        await chat.wait_for(lambda c: len(c.bot_texts) > count)  # the bot answers again
        async with q.quita.db.transaction(write=False) as tx:
            conv = await tx.conversations.get(cid)
        assert conv is not None
        assert conv.mode == "bot"


async def test_an_agent_cannot_act_on_or_see_a_colleagues_chat(database_url: str) -> None:
    async with running_quita(database_url, attach=[attach_console]) as q:
        await make_agent(q, "ana@example.com", "Ana")
        await make_agent(q, "bia@example.com", "Bia")
        await make_agent(q, "sol@example.com", "Sol", "supervisor")
        async with (
            WebchatClient(q.base_url) as chat,
            ConsoleClient(q.base_url) as ana,
            ConsoleClient(q.base_url) as bia,
            ConsoleClient(q.base_url) as sol,
        ):
            await verified_debtor_asking_for_a_person(chat)
            for client, email in ((ana, "ana"), (bia, "bia"), (sol, "sol")):
                await client.login(f"{email}@example.com")
            escalation_id, cid = await open_escalation_id(q)
            await ana.post(f"/console/escalations/{escalation_id}/claim")
            assert (await bia.get(f"/console/c/{cid}")).status == 404
            refused = await bia.post(f"/console/c/{cid}/reply", {"text": "oi"})
            assert refused.status in (404, 409)
            assert (await sol.get(f"/console/c/{cid}")).status == 200
            async with q.quita.db.transaction(write=False) as tx:
                bia_row = await tx.agents.by_email("bia@example.com")
            assert bia_row is not None
            moved = await sol.post(f"/console/c/{cid}/reassign", {"agent_id": str(bia_row.id)})
            assert moved.status == 303
            assert (await bia.post(f"/console/c/{cid}/reply", {"text": "Sou a Bia."})).status == 303
            await chat.wait_for_text("Sou a Bia.")


async def test_a_debtor_nobody_claims_hears_the_expected_wait(database_url: str) -> None:
    async with (
        running_quita(database_url, attach=[attach_console]) as q,
        WebchatClient(q.base_url) as chat,
    ):
        await verified_debtor_asking_for_a_person(chat)
        _, cid = await open_escalation_id(q)
        async with q.quita.db.transaction(write=False) as tx:
            jobs = (await tx.connection.execute(select(tables.scheduled_job))).mappings().all()
            conv = await tx.conversations.get(cid)
        [job] = [j for j in jobs if j["kind"] == "escalation_wait"]
        assert job["conversation_id"] == cid
        assert str(cid) in job["key"]
        assert conv is not None
        await q.quita.service.handle(
            Inbound(
                ConversationKey(ChannelName.WEBCHAT, conv.address),
                ReminderDue("escalation_wait", job["ref"]),
                q.quita.clock.now(),
                idempotency_key=f"job:{job['id']}",
            )
        )
        text = await chat.wait_for_text("previsão é de poucos minutos")
        assert q.quita.policy.escalation.support_hours in text


async def _wait_for_page(client: ConsoleClient, cid: int, fragment: str) -> str:
    async with asyncio.timeout(10):
        while True:
            page = await client.text(f"/console/c/{cid}")
            if fragment in page:
                return page
            await asyncio.sleep(0.05)


async def _wait_open(q: object) -> tuple[int, int]:
    from tests.support.harness import RunningQuita

    assert isinstance(q, RunningQuita)
    async with asyncio.timeout(10):
        while True:
            async with q.quita.db.transaction(write=False) as tx:
                rows = await tx.escalations.list_open()
            if rows:
                return rows[0].id, rows[0].conversation_id
            await asyncio.sleep(0.05)
