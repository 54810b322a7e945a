"""A real browser (Debian chromium) opens the dashboard and finds the funnel chart."""

from __future__ import annotations

from playwright.async_api import async_playwright

from bot.web.console.sessions import COOKIE
from tests.bot.web.test_reports_web import PERIOD, dashboard

LAUNCH_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking"]


async def test_browser_opens_the_dashboard_and_sees_the_funnel(sqlite_url: str) -> None:
    async with dashboard(sqlite_url) as (q, client):
        token = next(c.value for c in client.cookie_jar if c.key == COOKIE)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
            try:
                context = await browser.new_context()
                await context.add_cookies(
                    [{"name": COOKIE, "value": token, "url": f"{q.base_url}/console"}]
                )
                page = await context.new_page()
                await page.goto(f"{q.base_url}/console/reports?{PERIOD}")
                funnel = page.locator("svg#funnel-chart")
                await funnel.wait_for(state="visible")
                labels = await funnel.locator("g.bar").evaluate_all(
                    "bars => bars.map(b => b.dataset.label + '=' + b.dataset.value)"
                )
                box = await funnel.bounding_box()
            finally:
                await browser.close()
    assert labels == [
        "Contatados=3",
        "Responderam=2",
        "Verificados=2",
        "Receberam oferta=2",
        "Fizeram acordo=2",
        "Pagaram=1",
    ]
    assert box is not None
    assert box["width"] > 300
