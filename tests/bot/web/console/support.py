"""A logged-in agent as a plain HTTP client, plus helpers to set up accounts and escalations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from bot.web.console.accounts import add_agent
from storage import Database
from tests.support.harness import RunningQuita, WebchatClient

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def make_agent(
    q: RunningQuita, email: str, name: str, role: str = "agent", password: str = PASSWORD
) -> int:
    db: Database = q.quita.db
    now: datetime = q.quita.clock.now()
    return await add_agent(db, email, name, role, password, now=now)


@dataclass
class ConsoleClient:
    base_url: str
    http: aiohttp.ClientSession = field(
        default_factory=lambda: aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    )
    csrf: str = ""

    async def __aenter__(self) -> ConsoleClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.close()

    async def login(self, email: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
        page = await self.get("/console/login")
        token = CSRF.search(await page.text())
        assert token is not None
        response = await self.http.post(
            self.base_url + "/console/login",
            data={"email": email, "password": password, "csrf": token.group(1)},
            allow_redirects=False,
        )
        if response.status == 303:
            inbox = await self.get("/console")
            found = CSRF.search(await inbox.text())
            assert found is not None
            self.csrf = found.group(1)
        return response

    async def get(self, path: str) -> aiohttp.ClientResponse:
        response = await self.http.get(self.base_url + path, allow_redirects=False)
        await response.read()
        return response

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True
    ) -> aiohttp.ClientResponse:
        form = dict(data or {})
        if csrf:
            form["csrf"] = self.csrf
        response = await self.http.post(self.base_url + path, data=form, allow_redirects=False)
        await response.read()
        return response

    async def text(self, path: str) -> str:
        response = await self.get(path)
        assert response.status == 200, (path, response.status)
        return await response.text()


async def verified_debtor_asking_for_a_person(chat: WebchatClient) -> None:
    """Marcos verifies in the web chat and asks for a person: an open escalation."""
    await chat.hello()
    await chat.wait_for_text("CPF")
    await chat.say("529.982.247-25")
    await chat.wait_for_text("Total atualizado")
    await chat.say("quero falar com um atendente")
    await chat.wait_for_text("pessoa da nossa equipe")


async def open_escalation_id(q: RunningQuita) -> tuple[int, int]:
    async with q.quita.db.transaction(write=False) as tx:
        [row] = await tx.escalations.list_open()
    return row.id, row.conversation_id
