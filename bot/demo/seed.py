"""Seed the demo: sample debts from the shipped CSV, and a ready chat link per debtor."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Quita
from bot.demo import SAMPLE_DEBTS_CSV
from bot.importing import import_debts
from bot.invites import create_invite, webchat_link
from dialogs.documents import format_cpf


async def seed_demo(quita: Quita) -> str:
    """Import the sample debts (idempotent) and return what a person needs to try Quita."""
    now = quita.clock.now()
    report = await import_debts(quita.db, SAMPLE_DEBTS_CSV, today=now.date(), now=now)
    lines = [
        "",
        "Quita demo",
        "==========",
        report.summary(),
        "",
        "Sample debtors (open a link; verify with the first 3 CPF digits or birth date):",
    ]
    async with quita.db.transaction() as tx:
        debtors = await tx.debtors.list_page(limit=50)
        for debtor in debtors:
            token = await create_invite(tx, debtor.id, now, ttl=timedelta(days=7))
            lines.append(f"  {debtor.name:<32} CPF {format_cpf(debtor.cpf)}")
            lines.append(f"      {webchat_link(quita.settings.public_url, token)}")
    lines += [
        "",
        f"Web chat (ask for your CPF): {quita.settings.public_url}/chat",
        f"Health: {quita.settings.public_url}/healthz",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)
