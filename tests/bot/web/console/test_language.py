"""The console speaks the agent's language: English when the browser asks for it, Portuguese
(Brazil) otherwise — the queue, the chat view, refusals and the live-alert wording alike."""

from __future__ import annotations

import html
from dataclasses import dataclass

import aiohttp
import pytest

from bot.web.console import attach_console
from tests.bot.web.console.support import (
    ConsoleClient,
    make_agent,
    open_escalation_id,
    verified_debtor_asking_for_a_person,
)
from tests.support.harness import WebchatClient, running_quita


@dataclass(frozen=True)
class Expected:
    accept_language: str | None
    html_lang: str
    queue: tuple[str, ...]
    chat: tuple[str, ...]
    refusal: str
    alert: str
    foreign: tuple[str, ...]  # words of the other language that must not show


ENGLISH = Expected(
    accept_language="en-US,en;q=0.9",
    html_lang="en",
    queue=("Asked for a person", "in the queue", "waiting 0 min", ">Take<", "Score "),
    chat=(
        "Hand back to the bot",
        "Start over (new verification)",
        "Installment options",
        "Identity",
        ">verified<",
        "Debts · total",
        ">open<",
        "Propose a plan",
        "Your authority: up to",
        ">Customer<",
        ">Sign out<",
    ),
    refusal="Write a message before sending.",
    alert='data-alert-many="{count} new chats in the queue"',
    foreign=("Pediu uma pessoa", "Devolver ao bot", "Assumir", "na fila", "Sair"),
)
PORTUGUESE = Expected(
    accept_language=None,
    html_lang="pt-BR",
    queue=("Pediu uma pessoa", "na fila", "esperando 0 min", ">Assumir<", "Pontuação "),
    chat=(
        "Devolver ao bot",
        "Recomeçar do início (nova verificação)",
        "Opções de parcelamento",
        "Identidade",
        ">verificada<",
        "Dívidas · total",
        ">em aberto<",
        "Propor plano",
        "Sua alçada: até",
        ">Cliente<",
        ">Sair<",
    ),
    refusal="Escreva uma mensagem antes de enviar.",
    alert='data-alert-many="{count} novos atendimentos na fila"',
    foreign=("Asked for a person", "Hand back to the bot", ">Take<", "in the queue", "Sign out"),
)


@pytest.mark.parametrize("expected", [ENGLISH, PORTUGUESE], ids=["english", "portuguese"])
async def test_agent_sees_queue_and_chat_in_the_browser_language(
    sqlite_url: str, expected: Expected
) -> None:
    headers = {"Accept-Language": expected.accept_language} if expected.accept_language else {}
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), headers=headers)
    async with running_quita(sqlite_url, attach=[attach_console]) as q:
        await make_agent(q, "ana@example.com", "Ana")
        async with WebchatClient(q.base_url) as chat, ConsoleClient(q.base_url, http) as ana:
            await verified_debtor_asking_for_a_person(chat)
            await ana.login("ana@example.com")
            inbox = html.unescape(await ana.text("/console"))
            escalation_id, cid = await open_escalation_id(q)
            claimed = await ana.post(f"/console/escalations/{escalation_id}/claim")
            assert claimed.status == 303
            view = html.unescape(await ana.text(f"/console/c/{cid}"))
            refused = await ana.post(f"/console/c/{cid}/reply", {"text": "   "})
            refusal = html.unescape(await refused.text())

    assert f'<html lang="{expected.html_lang}">' in inbox
    for words in expected.queue:
        assert words in inbox, words
    assert expected.alert in inbox
    for words in expected.chat:
        assert words in view, words
    for words in expected.foreign:
        assert words not in inbox + view, words
    assert refused.status == 409
    assert expected.refusal in refusal
