"""WhatsApp's 24 h window in the console: once it closes, agents send approved templates only."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from bot.clock import ManualClock
from bot.web.console import attach_console
from bot.wiring import attach_whatsapp
from tests.bot.channels.test_whatsapp_e2e import (
    MARCOS_CPF,
    MARCOS_WA_ID,
    WhatsApp,
    whatsapp_settings,
)
from tests.bot.web.console.support import ConsoleClient, make_agent, open_escalation_id
from tests.fakes.graph_api import FakeGraphApi
from tests.support.harness import REFERENCE_NOW, running_quita


async def test_after_24_hours_the_agent_is_told_and_sends_a_template_not_free_text(
    database_url: str,
) -> None:
    clock = ManualClock(REFERENCE_NOW)
    async with (
        FakeGraphApi() as graph,
        running_quita(
            database_url,
            clock=clock,
            settings=whatsapp_settings(graph),
            attach=[attach_whatsapp, attach_console],
        ) as q,
        aiohttp.ClientSession() as http,
        ConsoleClient(q.base_url) as ana,
    ):
        marcos = WhatsApp(q, graph, http, clock).debtor(MARCOS_WA_ID, name="Marcos")
        await marcos.say("oi")
        await marcos.wait_for_text("CPF")
        await marcos.say(MARCOS_CPF)
        await marcos.wait_for_text("Total atualizado")
        await marcos.say("quero falar com um atendente")
        await marcos.wait_for_text("pessoa da nossa equipe")
        await make_agent(q, "ana@example.com", "Ana")
        await ana.login("ana@example.com")
        escalation_id, cid = await open_escalation_id(q)
        assert (await ana.post(f"/console/escalations/{escalation_id}/claim")).status == 303
        await marcos.wait_for_text("Um atendente vai continuar")
        open_page = await ana.text(f"/console/c/{cid}")

        clock.advance(timedelta(hours=25))
        await ana.login("ana@example.com")  # a console session lasts 12 h
        closed_page = await ana.text(f"/console/c/{cid}")
        free_text = await ana.post(f"/console/c/{cid}/reply", {"text": "Oi Marcos, tudo bem?"})
        refusal = await free_text.text()
        sent_before = len(marcos.received)
        template = await ana.post(f"/console/c/{cid}/reply", {"template": "promise_followup"})
        await marcos.wait_for(lambda d: len(d.received) > sent_before)

    assert "janela de 24 h do WhatsApp está fechada" not in open_page
    assert 'name="text"' in open_page
    assert "janela de 24 h do WhatsApp está fechada" in closed_page
    assert 'name="text"' not in closed_page
    offered = [
        key for key in ("outreach", "promise_followup", "reengagement") if key in closed_page
    ]
    assert offered == ["outreach", "promise_followup", "reengagement"]
    assert 'value="installment_reminder"' not in closed_page  # needs values the console lacks
    assert free_text.status == 409
    assert "só é possível enviar um modelo aprovado" in refusal
    assert "Oi Marcos" not in " ".join(marcos.texts)
    assert template.status == 303
    [last] = marcos.received[sent_before:]
    assert last["type"] == "template"
    assert last["template"]["name"] == "quita_lembrete_promessa"
    assert last["template"]["components"][0]["parameters"] == [{"type": "text", "text": "Marcos"}]
