"""The queue puts the reason first, then the debtor's ranking score and the waiting time."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.clock import ManualClock
from bot.web.console import attach_console
from dialogs.flow.escalation import NOT_UNDERSTOOD, PRIORITY
from tests.bot.web.console.support import ConsoleClient, make_agent
from tests.support.harness import REFERENCE_NOW, RunningQuita, WebchatClient, running_quita

# Sample portfolio on 2026-11-25, default [ranking] weights (40 amount / 30 days late /
# 20 engagement / 10 broken promises; caps R$ 5.000, 180 days, 10 messages, 3 promises).
# Each debtor who escalates in the web chat has 3 messages (start, CPF, "atendente"): 20 × 3/10 = 6.
FRANCISCO = "010.476.506-22"  # R$ 4.870,15 due 15/04/2026: 38.96 + 30 + 6 = 74.96
MARCOS = "529.982.247-25"  # R$ 2.400,00 due 05/09/2026 (81 days): 19.2 + 13.5 + 6 = 38.70
PEDRO = "275.673.666-06"  # R$ 152,37 due 12/05/2026 (197 days): 1.22 + 30 + 6 = 37.22
MARIA_CPF = "64152677600"  # R$ 2.134,46, 319 days late, no messages: 17.08 + 30 = 47.08


async def asks_for_a_person(q: RunningQuita, cpf: str) -> None:
    async with WebchatClient(q.base_url) as chat:
        await chat.hello()
        await chat.wait_for_text("CPF")
        await chat.say(cpf)
        await chat.wait_for_text("Total atualizado")
        await chat.say("quero falar com um atendente")
        await chat.wait_for_text("pessoa da nossa equipe")


async def bot_could_not_understand(q: RunningQuita, cpf: str) -> None:
    """A lower-tier escalation for a debtor who ranks high (written straight to storage)."""
    now = q.quita.clock.now()
    async with q.quita.db.transaction() as tx:
        debtor = await tx.debtors.by_cpf(cpf)
        assert debtor is not None
        conv = await tx.conversations.create(
            "webchat", "maria-tab", state="balance", mode="queued", debtor_id=debtor.id, now=now
        )
        await tx.escalations.open(conv.id, NOT_UNDERSTOOD, "-", PRIORITY[NOT_UNDERSTOOD], now=now)


def cards(queue: str) -> list[tuple[str, str]]:
    """(first name, score) per queue card, top to bottom."""
    found = re.findall(r'class="who">(\w+) .*?Pontuação ([\d,]+)', queue, flags=re.S)
    return [(name, score) for name, score in found]


async def test_reason_first_then_ranking_score_then_waiting_time(database_url: str) -> None:
    clock = ManualClock(REFERENCE_NOW)
    async with running_quita(database_url, clock=clock, attach=[attach_console]) as q:
        await bot_could_not_understand(q, MARIA_CPF)
        await asks_for_a_person(q, PEDRO)  # waits longest of the three who asked
        clock.advance(timedelta(minutes=10))
        await asks_for_a_person(q, MARCOS)
        clock.advance(timedelta(minutes=10))
        await asks_for_a_person(q, FRANCISCO)
        await make_agent(q, "ana@example.com", "Ana")
        async with ConsoleClient(q.base_url) as ana:
            await ana.login("ana@example.com")
            queue = await ana.text("/console/fragment/queue")
    assert cards(queue) == [
        ("Francisco", "74,96"),
        ("Marcos", "38,7"),
        ("Pedro", "37,22"),
        ("Maria", "47,08"),
    ]
