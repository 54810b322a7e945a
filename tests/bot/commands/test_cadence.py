"""`quita cadence preview`: what it lists is what the day then sends, and it stores nothing."""

from __future__ import annotations

from datetime import date, datetime

from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cadence.preview import preview_day
from bot.cli import main
from bot.demo import SAMPLE_DEBTS_CSV
from bot.importing import import_debts
from storage import Database, tables
from tests.bot.cadence.portfolio import AGREEMENT_DEBTOR, OPTED_OUT, dress
from tests.bot.cadence.rig import IMPORTED_AT, SAO_PAULO, Rig, cadence_rig
from tests.bot.cadence.test_week import kind_of
from tests.conftest import run_in_fresh_loop

SATURDAY = date(2026, 11, 28)


async def row_counts(rig: Rig) -> tuple[int, int]:
    async with rig.quita.db.transaction(write=False) as tx:
        jobs = (
            await tx.connection.execute(select(func.count()).select_from(tables.scheduled_job))
        ).scalar_one()
        outbox = (
            await tx.connection.execute(select(func.count()).select_from(tables.outbox))
        ).scalar_one()
    return int(jobs), int(outbox)


async def test_preview_matches_what_the_day_then_sends(database_url: str) -> None:
    async with cadence_rig(database_url) as rig:
        await dress(rig)
        await rig.run_until(datetime(2026, 11, 27, 23, tzinfo=SAO_PAULO))
        before = await row_counts(rig)
        preview = await preview_day(
            rig.quita.db, rig.policy, SATURDAY, reachable=rig.quita.outbox.channels()
        )
        assert await row_counts(rig) == before  # a preview stores nothing and sends nothing
        ids = {await rig.debtor_id(f"CLI-000{n}"): f"CLI-000{n}" for n in range(1, 10)}
        promised = sorted(
            (f"{line.at:%H:%M}", ids[line.debtor_id or 0], line.message, line.channel or "")
            for line in preview.to_send
        )
        held = {(ids[line.debtor_id or 0], line.verdict) for line in preview.held}
        assert (OPTED_OUT, "opted_out") in held
        assert ("09:00", AGREEMENT_DEBTOR, "reminder.before_due", "whatsapp") in promised

        already = len(rig.sent)
        await rig.run_until(datetime(2026, 11, 28, 23, tzinfo=SAO_PAULO))
        phones = await rig.phones()
        actual = sorted(
            (f"{s.at:%H:%M}", phones[s.address], kind_of(s.message.text), s.channel)
            for s in rig.sent[already:]
        )
        assert actual == promised
        assert len(actual) == 8


def test_the_command_lists_debtors_no_channel_can_reach(database_url: str) -> None:
    async def seed() -> None:
        db = Database(database_url)
        try:
            await import_debts(db, SAMPLE_DEBTS_CSV, today=IMPORTED_AT.date(), now=IMPORTED_AT)
        finally:
            await db.dispose()

    run_in_fresh_loop(seed)
    result = CliRunner().invoke(
        main,
        ["cadence", "preview", "--date", "2026-11-25"],
        env={"QUITA_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    assert "Would send: 0" in result.output
    assert "needs_invite_link: 9" in result.output
    assert "CLI-0009" in result.output
    assert "Marcos" not in result.output  # debtors by external id, never by name
