"""The agent console in a real Chromium: a debtor asks for a person in the web chat (second
browser context), the agent sees it arrive live, claims it, talks, proposes a plan the debtor
confirms, and hands back to the bot. Set QUITA_SCREENSHOTS=1 to refresh docs/console-*.png.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.web.console import attach_console
from bot.web.console.accounts import add_agent
from tests.support.harness import RunningQuita, running_quita

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
DOCS = Path(__file__).resolve().parents[2] / "docs"
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def _agent_page(browser: Browser, q: RunningQuita) -> Page:
    await add_agent(
        q.quita.db, "ana@example.com", "Ana", "agent", PASSWORD, now=q.quita.clock.now()
    )
    context = await browser.new_context(viewport=LAPTOP, locale="pt-BR")
    page = await context.new_page()
    await page.goto(q.base_url + "/console/login")
    await page.fill("input[name=email]", "ana@example.com")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("body")).to_have_attribute("data-live", "1")
    return page


async def _debtor_page(browser: Browser, q: RunningQuita) -> Page:
    context = await browser.new_context(locale="pt-BR")
    page = await context.new_page()
    await page.goto(q.base_url + "/chat")
    return page


async def _debtor_says(page: Page, text: str) -> None:
    await expect(page.locator("#text")).to_be_enabled()
    await page.fill("#text", text)
    await page.click("#send")


def _screenshot(page: Page, name: str) -> Path | None:
    return DOCS / name if os.environ.get("QUITA_SCREENSHOTS") else None


async def test_agent_takes_over_a_chat_live_and_hands_it_back(
    browser: Browser, sqlite_url: str
) -> None:
    async with running_quita(sqlite_url, attach=[attach_console]) as q:
        agent = await _agent_page(browser, q)
        debtor = await _debtor_page(browser, q)
        messages = debtor.locator("#messages")
        await expect(messages).to_contain_text("CPF")
        await _debtor_says(debtor, "529.982.247-25")
        await expect(messages).to_contain_text("Total atualizado")
        await _debtor_says(debtor, "quero falar com um atendente")

        # The escalation appears live in the queue, without reloading the page.
        item = agent.locator(".queue-item")
        await expect(item).to_have_count(1)
        await expect(item).to_contain_text("Pediu uma pessoa")
        await expect(item).to_contain_text("2.512,80")
        if path := _screenshot(agent, "console-queue.png"):
            await agent.screenshot(path=str(path))

        await item.locator("button.claim").click()
        await expect(messages).to_contain_text("Um atendente vai continuar a conversa")
        transcript = agent.locator("#transcript")
        await expect(transcript).to_contain_text("quero falar com um atendente")
        await expect(agent.locator(".panel")).to_contain_text("***.982.247-**")

        # Debtor text is shown as text, never run as script; it arrives live.
        await _debtor_says(debtor, "<script>document.title='hacked'</script> oi?")
        await expect(transcript).to_contain_text("<script>document.title='hacked'</script> oi?")
        assert await agent.title() != "hacked"
        assert await agent.locator("#transcript script").count() == 0

        await agent.fill("#reply-text", "Oi Marcos, aqui é a Ana. Vamos resolver.")
        await agent.click("#reply-form button[type=submit]")
        await expect(messages).to_contain_text("Oi Marcos, aqui é a Ana. Vamos resolver.")
        await expect(agent.locator("#transcript")).to_contain_text("aqui é a Ana")
        if path := _screenshot(agent, "console-chat.png"):
            await agent.screenshot(path=str(path))

        # A plan the debtor confirms with buttons; then the bot carries on.
        await agent.fill("#plan-form input[name=count]", "10")
        await agent.select_option("#plan-form select[name=channel]", "pix")
        await agent.click("#plan-form button[type=submit]")
        await expect(messages).to_contain_text("Confira o seu acordo")
        await debtor.locator("button[data-choice=confirm]").last.click()
        await expect(messages).to_contain_text("Acordo fechado")
        await expect(debtor.locator("#messages code")).to_have_count(1)


async def test_hand_back_lets_the_bot_continue(browser: Browser, sqlite_url: str) -> None:
    async with running_quita(sqlite_url, attach=[attach_console]) as q:
        agent = await _agent_page(browser, q)
        debtor = await _debtor_page(browser, q)
        messages = debtor.locator("#messages")
        await expect(messages).to_contain_text("CPF")
        await _debtor_says(debtor, "529.982.247-25")
        await expect(messages).to_contain_text("Total atualizado")
        await _debtor_says(debtor, "quero falar com um atendente")
        await agent.locator(".queue-item button.claim").click()
        await expect(messages).to_contain_text("Um atendente vai continuar a conversa")
        await agent.select_option("#handback-form select[name=resume_at]", "choosing_plan")
        await agent.click("#handback-form button[type=submit]")
        await expect(debtor.locator("button[data-choice='plan:6']")).to_be_visible()
        await debtor.locator("button[data-choice='plan:6']").click()
        await expect(messages).to_contain_text("Como prefere pagar")


async def test_a_post_without_csrf_token_is_refused(browser: Browser, sqlite_url: str) -> None:
    async with running_quita(sqlite_url, attach=[attach_console]) as q:
        agent = await _agent_page(browser, q)
        status = await agent.evaluate(
            "fetch('/console/logout', {method: 'POST', credentials: 'same-origin'})"
            ".then(r => r.status)"
        )
        assert status == 403
        await agent.reload()
        await expect(agent.locator("body")).to_have_attribute("data-live", "1")
