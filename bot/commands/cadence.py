"""`quita cadence preview --date 2026-12-01`: the day's proactive messages, without sending.

Lists each message that would go (local time, debtor id, message id, channel) and each one
held back with the rule that held it (window, holiday, cap, opt-out, pause, paid, stale, or
"needs invite link" for debtors no channel can reach yet — see `quita invite`). Debtors are
shown by their creditor's external id, never by name or CPF.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date

import click

from bot.app import StartupError, read_policy
from bot.cadence.preview import Preview, PreviewLine, preview_day
from bot.cli_support import settings_or_exit
from bot.settings import Settings
from dialogs.negotiation.policy import Policy
from storage import Database

__all__ = ["cadence_group", "reachable_channels", "render_preview"]


def reachable_channels(settings: Settings) -> frozenset[str]:
    """The channels a running Quita with these settings could send on."""
    channels = {"webchat"}
    if settings.telegram_enabled:
        channels.add("telegram")
    if settings.whatsapp_enabled:
        channels.add("whatsapp")
    return frozenset(channels)


def _line(line: PreviewLine, debtors: dict[int, str]) -> str:
    who = debtors.get(line.debtor_id or 0, f"#{line.debtor_id}")
    where = f" via {line.channel}" if line.channel else ""
    later = f" (next try {line.next_try:%Y-%m-%d %H:%M %Z})" if line.next_try else ""
    reason = line.reason if line.sent else f"held: {line.reason}{later}"
    return f"{line.at:%H:%M %Z}  {who:<14} {line.message:<24}{where:<14} {reason}"


def render_preview(preview: Preview, debtors: dict[int, str]) -> str:
    """Plain-English report for operators."""
    out = [f"Cadence preview for {preview.day.isoformat()}"]
    out.append(f"Would send: {len(preview.to_send)}")
    out.extend("  " + _line(line, debtors) for line in preview.to_send)
    held = preview.held
    out.append(f"Held back: {len(held)}")
    for rule, count in preview.held_by_rule().items():
        out.append(f"  {rule}: {count}")
    out.extend("  " + _line(line, debtors) for line in held)
    return "\n".join(out)


async def _external_ids(db: Database, ids: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    async with db.transaction(write=False) as tx:
        for debtor_id in sorted(ids):
            debtor = await tx.debtors.get(debtor_id)
            if debtor is not None:
                found[debtor_id] = debtor.external_id
    return found


async def run_preview(
    settings: Settings, policy: Policy, day: date
) -> tuple[Preview, dict[int, str]]:
    db = Database(settings.quita_database_url)
    try:
        preview = await preview_day(db, policy, day, reachable=reachable_channels(settings))
        ids = {line.debtor_id for line in preview.lines if line.debtor_id is not None}
        return preview, await _external_ids(db, ids)
    finally:
        await db.dispose()


@click.group("cadence")
def cadence_group() -> None:
    """The reminder cadence (régua de cobrança)."""


@cadence_group.command("preview")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="The local day to preview (YYYY-MM-DD).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line instead.")
def preview_command(day: object, as_json: bool) -> None:
    """What the cadence would send that day and why, and what it would hold back."""
    settings = settings_or_exit()
    try:
        policy = read_policy(settings.quita_policy_file)
    except StartupError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    assert hasattr(day, "date")
    preview, debtors = asyncio.run(run_preview(settings, policy, day.date()))
    if not as_json:
        click.echo(render_preview(preview, debtors))
        return
    for line in preview.lines:
        record = {
            "at": line.at.isoformat(),
            "debtor": debtors.get(line.debtor_id or 0),
            "kind": line.kind,
            "message": line.message,
            "channel": line.channel,
            "verdict": line.verdict,
            "reason": line.reason,
            "next_try": line.next_try.isoformat() if line.next_try else None,
        }
        click.echo(json.dumps(record, ensure_ascii=False))
