"""The supervisors' dashboard over real HTTP: login required, figures, charts, CSV exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiohttp
from yarl import URL

from bot.clock import ManualClock
from bot.reports.export import read_csv
from bot.web.console import attach_console
from bot.web.console.accounts import add_agent
from bot.web.console.sessions import COOKIE, open_session
from bot.web.reports import attach_reports
from tests.storage.test_reports import seed_portfolio
from tests.support.harness import RunningQuita, running_quita

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
PERIOD = "from=2026-11-01&to=2026-11-20"


@asynccontextmanager
async def dashboard(
    database_url: str, role: str = "supervisor"
) -> AsyncIterator[tuple[RunningQuita, aiohttp.ClientSession]]:
    """Quita with the console and reports, the seeded portfolio, and a logged-in client."""
    async with running_quita(
        database_url, clock=ManualClock(NOW), seed=False, attach=[attach_console, attach_reports]
    ) as q:
        db = q.quita.db
        await seed_portfolio(db)
        agent = await add_agent(
            db, f"{role}@example.com", "Sam", role, "a long password 1", now=NOW
        )
        token, _ = await open_session(db, agent, NOW)
        jar = aiohttp.CookieJar(unsafe=True)
        jar.update_cookies({COOKIE: token}, URL(q.base_url))
        async with aiohttp.ClientSession(cookie_jar=jar) as client:
            yield q, client


async def test_dashboard_shows_the_period_figures_and_the_funnel_chart(database_url: str) -> None:
    async with (
        dashboard(database_url) as (q, client),
        client.get(f"{q.base_url}/console/reports?{PERIOD}") as response,
    ):
        assert response.status == 200
        html = await response.text()
    assert '<svg id="funnel-chart"' in html
    assert 'data-label="Contatados" data-value="3"' in html
    assert 'data-label="Pagaram" data-value="1"' in html
    assert "R$\xa02.250,00" in html  # recovered in the period
    assert "64,29%" in html  # of R$ 3.500,00
    assert '<svg id="recovered-chart"' in html


async def test_csv_export_round_trips_with_decimal_comma(database_url: str) -> None:
    async with dashboard(database_url) as (q, client):
        url = f"{q.base_url}/console/reports/export/recovered_by_day.csv?{PERIOD}&decimal=comma"
        async with client.get(url) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/csv")
            rows = read_csv(await response.text())
        async with client.get(f"{q.base_url}/console/reports/export/funnel.csv?{PERIOD}") as r:
            funnel = read_csv(await r.text())
    assert len(rows) == 20
    assert {r["day"]: r["recovered"] for r in rows if r["recovered"] != "0,00"} == {
        "2026-11-05": "2000,00",
        "2026-11-10": "250,00",
    }
    assert [(r["stage"], int(r["debtors"])) for r in funnel] == [
        ("contacted", 3),
        ("engaged", 2),
        ("verified", 2),
        ("offered", 2),
        ("agreed", 2),
        ("paid", 1),
    ]


async def test_only_supervisors_see_reports(sqlite_url: str) -> None:
    async with dashboard(sqlite_url, role="agent") as (q, client):
        async with client.get(f"{q.base_url}/console/reports?{PERIOD}") as response:
            assert response.status == 403
        async with aiohttp.ClientSession() as anonymous:
            url = f"{q.base_url}/console/reports/export/funnel.csv"
            async with anonymous.get(url, allow_redirects=False) as response:
                assert response.status == 303
                assert response.headers["Location"] == "/console/login"


async def test_debtor_list_by_priority_with_filters(sqlite_url: str) -> None:
    async with dashboard(sqlite_url) as (q, client):
        async with client.get(f"{q.base_url}/console/reports/debtors") as response:
            html = await response.text()
        async with client.get(f"{q.base_url}/console/reports/debtors?state=MG") as response:
            only_mg = await response.text()
    assert html.index('data-debtor="1"') < html.index('data-debtor="4"')
    assert "27,5" in html
    assert 'data-debtor="1"' not in only_mg
    assert 'data-debtor="4"' in only_mg
