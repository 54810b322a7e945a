"""Seed the demo: sample debts, a supervisor account, and a ready chat link per debtor."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Quita
from bot.demo import SAMPLE_DEBTS_CSV
from bot.importing import import_debts
from bot.invites import create_invite, webchat_link
from bot.web.console.accounts import add_agent
from dialogs.documents import format_cpf

DEMO_AGENT_EMAIL = "supervisora@quita.demo"
DEMO_AGENT_PASSWORD = "quita-demo-2026"  # noqa: S105 - printed demo login on 127.0.0.1 only


async def seed_demo(quita: Quita) -> str:
    """Import the sample debts (idempotent) and return what a person needs to try Quita."""
    now = quita.clock.now()
    url = quita.settings.public_url
    report = await import_debts(quita.db, SAMPLE_DEBTS_CSV, today=now.date(), now=now)
    async with quita.db.transaction(write=False) as tx:
        has_agent = await tx.agents.by_email(DEMO_AGENT_EMAIL) is not None
    if not has_agent:
        await add_agent(
            quita.db, DEMO_AGENT_EMAIL, "Ana (demo)", "supervisor", DEMO_AGENT_PASSWORD, now=now
        )
    lines = [
        "",
        "Quita demo",
        "==========",
        report.summary(),
        "",
        "Sample debtors — open a link and verify with the first 3 CPF digits:",
    ]
    async with quita.db.transaction() as tx:
        for debtor in await tx.debtors.list_page(limit=50):
            token = await create_invite(tx, debtor.id, now, ttl=timedelta(days=7))
            lines.append(f"  {debtor.name:<32} CPF {format_cpf(debtor.cpf)}")
            lines.append(f"      {webchat_link(url, token)}")
    lines += [
        "",
        f"Web chat without a link (asks for the full CPF): {url}/chat",
        f"Agent console: {url}/console  —  {DEMO_AGENT_EMAIL} / {DEMO_AGENT_PASSWORD}",
    ]
    secret = quita.settings.payments_webhook_secret
    if secret is not None:
        lines.append(
            f"Payments API: POST {url}/api/payments (HMAC secret: demo-secret unless "
            "PAYMENTS_WEBHOOK_SECRET is set; README has the curl)"
        )
    lines += ["Press Ctrl-C to stop.", ""]
    return "\n".join(lines)
