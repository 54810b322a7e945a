"""Login, throttling, sessions, CSRF and roles of the agent console."""

from __future__ import annotations

from click.testing import CliRunner

from bot.cli import main
from bot.web.console import attach_console
from tests.bot.web.console.support import PASSWORD, ConsoleClient, make_agent
from tests.support.harness import running_quita


async def test_wrong_password_is_refused_and_five_failures_lock_the_account(
    database_url: str,
) -> None:
    async with running_quita(database_url, attach=[attach_console]) as q:
        await make_agent(q, "ana@example.com", "Ana")
        async with ConsoleClient(q.base_url) as agent:
            wrong = await agent.login("ana@example.com", "not the password")
            assert wrong.status == 401
            assert "E-mail ou senha incorretos" in await wrong.text()
            unknown = await agent.login("nobody@example.com")
            assert unknown.status == 401
            for _ in range(4):
                last = await agent.login("ana@example.com", "still wrong")
            assert last.status == 429
            locked = await agent.login("ana@example.com")  # even the right password now
            assert locked.status == 429
            assert (await agent.get("/console")).status == 303


async def test_login_logout_and_session_cookie_flags(database_url: str) -> None:
    async with running_quita(database_url, attach=[attach_console]) as q:
        await make_agent(q, "ana@example.com", "Ana")
        async with ConsoleClient(q.base_url) as agent:
            assert (await agent.get("/console")).headers["Location"] == "/console/login"
            response = await agent.login("ana@example.com")
            assert response.status == 303
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie
            assert "SameSite=Strict" in cookie
            page = await agent.get("/console")
            assert page.status == 200
            assert page.headers["X-Frame-Options"] == "DENY"
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
            assert (await agent.post("/console/logout")).status == 303
            assert (await agent.get("/console")).status == 303
            assert (await agent.get("/console/fragment/queue")).status == 401


async def test_state_changes_without_the_csrf_token_are_refused(database_url: str) -> None:
    async with running_quita(database_url, attach=[attach_console]) as q:
        await make_agent(q, "ana@example.com", "Ana")
        async with ConsoleClient(q.base_url) as agent:
            await agent.login("ana@example.com")
            missing = await agent.post("/console/logout", csrf=False)
            assert missing.status == 403
            forged = await agent.post("/console/logout", {"csrf": "forged"}, csrf=False)
            assert forged.status == 403
            assert (await agent.get("/console")).status == 200  # still logged in
            no_login_token = await agent.http.post(
                q.base_url + "/console/login",
                data={"email": "ana@example.com", "password": PASSWORD},
                allow_redirects=False,
            )
            assert no_login_token.status == 403


async def test_every_route_enforces_its_role(database_url: str) -> None:
    async with running_quita(database_url, attach=[attach_console]) as q:
        await make_agent(q, "ana@example.com", "Ana", "agent")
        await make_agent(q, "sol@example.com", "Sol", "supervisor")
        await make_agent(q, "adm@example.com", "Adm", "admin")
        expected = {
            "ana@example.com": {"/console": 200, "/console/agents": 403, "/console/canned": 403,
                                "/console/settings": 403},
            "sol@example.com": {"/console": 200, "/console/agents": 200, "/console/canned": 200,
                                "/console/settings": 403},
            "adm@example.com": {"/console": 200, "/console/agents": 200, "/console/canned": 200,
                                "/console/settings": 200},
        }  # fmt: skip
        for email, routes in expected.items():
            async with ConsoleClient(q.base_url) as person:
                await person.login(email)
                seen = {path: (await person.get(path)).status for path in routes}
                assert seen == routes, email
        async with ConsoleClient(q.base_url) as agent:
            await agent.login("ana@example.com")
            made = await agent.post(
                "/console/agents",
                {"email": "x@example.com", "name": "X", "role": "agent", "password": PASSWORD},
            )
            assert made.status == 403
            canned = await agent.post("/console/canned", {"title": "Oi", "text": "Olá"})
            assert canned.status == 403


async def test_supervisor_manages_agents_and_canned_responses(database_url: str) -> None:
    async with running_quita(database_url, attach=[attach_console]) as q:
        await make_agent(q, "sol@example.com", "Sol", "supervisor")
        async with ConsoleClient(q.base_url) as sol:
            await sol.login("sol@example.com")
            created = await sol.post(
                "/console/agents",
                {"email": "bia@example.com", "name": "Bia", "role": "agent", "password": PASSWORD},
            )
            assert created.status == 303
            admin = await sol.post(
                "/console/agents",
                {"email": "adm@example.com", "name": "A", "role": "admin", "password": PASSWORD},
            )
            assert admin.status == 403
            saved = await sol.post(
                "/console/canned", {"title": "Boleto", "text": "Segue a 2ª via <b>já</b>."}
            )
            assert saved.status == 303
            page = await sol.text("/console/canned")
            assert "Segue a 2ª via &lt;b&gt;já&lt;/b&gt;." in page
        async with ConsoleClient(q.base_url) as bia:
            assert (await bia.login("bia@example.com")).status == 303
        async with q.quita.db.transaction(write=False) as tx:
            actions = {entry.action for entry in await tx.audit.recent(limit=50)}
        assert {"agent.add", "canned.save", "login"} <= actions


def test_cli_adds_an_agent_with_a_password_from_stdin(sqlite_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["agent", "add", "Cli@Example.com", "--name", "Cli", "--role", "supervisor",
         "--password-stdin", "--url", sqlite_url],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "created (supervisor)" in result.output
    again = runner.invoke(
        main,
        ["agent", "add", "cli@example.com", "--name", "Cli", "--password-stdin", "--url",
         sqlite_url],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert again.exit_code != 0
    assert "already exists" in again.output
    short = runner.invoke(
        main,
        ["agent", "add", "s@example.com", "--name", "S", "--password-stdin", "--url", sqlite_url],
        input="short\n",
    )
    assert short.exit_code != 0
    assert "at least 10" in short.output
