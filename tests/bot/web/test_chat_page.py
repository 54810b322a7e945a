"""The web chat page in a real browser: what a debtor opening the demo link sees and does."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from bot.invites import create_invite
from tests.support.browser import chromium
from tests.support.harness import REFERENCE_NOW, running_quita

pytestmark = pytest.mark.browser
SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "webchat.png"


async def press(page: Page, label: str) -> None:
    await page.locator(".buttons button:not([disabled])", has_text=label).first.click()


async def test_debtor_opens_invite_link_verifies_and_closes_a_6x_agreement(
    sqlite_url: str,
) -> None:
    async with running_quita(sqlite_url) as q:
        async with q.quita.db.transaction() as tx:
            marcos = await tx.debtors.by_cpf("52998224725")
            assert marcos is not None
            token = await create_invite(tx, marcos.id, REFERENCE_NOW)
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 420, "height": 860}, locale="pt-BR")
            await page.goto(f"{q.base_url}/chat?t={token}")
            messages = page.locator("#messages")
            await expect(messages).to_contain_text("Loja Exemplo")
            await expect(messages).not_to_contain_text("2.512,80")  # nothing before verification
            await expect(page.locator("#text")).to_be_enabled()
            await page.fill("#text", "529")
            await page.press("#text", "Enter")
            await expect(messages).to_contain_text("Total atualizado: R$ 2.512,80")
            await press(page, "Parcelar")
            await press(page, "6x")
            await press(page, "PIX")
            await expect(messages).to_contain_text("6 parcelas de R$ 418,80")
            await press(page, "Confirmar")
            await expect(page.locator(".msg img")).to_have_attribute(
                "src", re.compile("^data:image/png")
            )
            code = page.locator(".msg code")
            await expect(code).to_contain_text("br.gov.bcb.pix")
            await page.locator(".msg .copy").click()
            await expect(page.locator(".msg .copy")).to_have_text("Copiado ✓")
            if os.environ.get("QUITA_SCREENSHOTS"):  # refreshes the README's picture
                await page.screenshot(path=str(SCREENSHOT), full_page=False)


async def test_debtor_text_is_never_interpreted_as_html(sqlite_url: str) -> None:
    async with running_quita(sqlite_url) as q, chromium() as browser:
        page = await browser.new_page(locale="pt-BR")
        await page.goto(f"{q.base_url}/chat")
        await expect(page.locator("#text")).to_be_enabled()
        await page.fill("#text", "<img src=x onerror=alert(1)><b>oi</b>")
        await page.press("#text", "Enter")
        mine = page.locator(".msg.debtor").last
        await expect(mine).to_have_text("<img src=x onerror=alert(1)><b>oi</b>")
        assert await page.locator(".msg.debtor img, .msg.debtor b").count() == 0


async def test_the_widget_embeds_the_chat_on_another_site(sqlite_url: str) -> None:
    """A creditor's page on another origin loads widget.js; the debtor chats inside it."""
    from aiohttp import web

    async with running_quita(sqlite_url) as q:
        site = web.Application()
        page_html = (
            "<!doctype html><html><body><h1>Loja Exemplo</h1>"
            f'<script src="{q.base_url}/static/widget.js" async></script></body></html>'
        )

        async def index(request: web.Request) -> web.Response:
            return web.Response(text=page_html, content_type="text/html")

        site.router.add_get("/", index)
        runner = web.AppRunner(site)
        await runner.setup()
        shop = web.TCPSite(runner, "127.0.0.1", 0)
        await shop.start()
        port = runner.addresses[0][1]
        try:
            async with chromium() as browser:
                page = await browser.new_page(locale="pt-BR")
                await page.goto(f"http://127.0.0.1:{port}/")
                await page.locator("#quita-widget-button").click()
                chat = page.frame_locator("#quita-widget-frame")
                await expect(chat.locator("#messages")).to_contain_text("CPF")
                await chat.locator("#text").fill("529.982.247-25")
                await chat.locator("#text").press("Enter")
                await expect(chat.locator("#messages")).to_contain_text("R$ 2.512,80")
        finally:
            await runner.cleanup()
