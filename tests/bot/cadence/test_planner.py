"""Planning a day: idempotent, per state, and the Christmas moves, in the database."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.cadence.planner import plan_day
from storage import tables
from tests.bot.cadence.portfolio import add_agreement
from tests.bot.cadence.rig import SAO_PAULO, cadence_rig


async def test_christmas_reminders_move_around_the_holiday(database_url: str) -> None:
    async with cadence_rig(database_url) as rig:
        await add_agreement(rig, "CLI-0009", date(2026, 12, 28))  # Monday after Christmas
        counts = []
        for day in (date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)):
            async with rig.transaction() as tx:
                summary = await plan_day(tx, rig.policy, day, rig.clock.now())
                again = await plan_day(tx, rig.policy, day, rig.clock.now())
            assert again.jobs == 0  # planning twice is the same set of jobs
            counts.append(summary.installment_jobs)
        t = tables.scheduled_job
        async with rig.quita.db.transaction(write=False) as tx:
            rows = await tx.connection.execute(
                select(t.c.key, t.c.run_at)
                .where(t.c.kind == "installment_reminder")
                .order_by(t.c.run_at)
            )
            planned = [
                (key.rsplit(":", 1)[1], run_at.astimezone(SAO_PAULO)) for key, run_at in rows
            ]
        assert counts == [1, 0, 1]  # nothing is planned on Christmas
        assert planned == [
            # installment 1, due Monday 28th: D-3 is Christmas, said on Thursday 24th
            ("-3", datetime(2026, 12, 24, 9, tzinfo=SAO_PAULO)),
            # installment 2, due Wednesday 30th: D-3 is a Sunday, said on Saturday 26th
            ("-3", datetime(2026, 12, 26, 9, tzinfo=SAO_PAULO)),
        ]
