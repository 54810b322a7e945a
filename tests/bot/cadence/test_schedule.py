"""The console's view of one debtor's schedule: what is coming, what went, what was held."""

from __future__ import annotations

from datetime import datetime

from bot.cadence.schedule import debtor_schedule
from tests.bot.cadence.portfolio import AGREEMENT_DEBTOR, OPTED_OUT, dress
from tests.bot.cadence.rig import SAO_PAULO, cadence_rig


async def test_a_debtors_schedule_shows_sent_pending_and_held_items(database_url: str) -> None:
    async with cadence_rig(database_url) as rig:
        await dress(rig)
        await rig.run_until(datetime(2026, 11, 28, 23, tzinfo=SAO_PAULO))
        pedro = await rig.debtor_id(AGREEMENT_DEBTOR)
        luciana = await rig.debtor_id(OPTED_OUT)
        async with rig.quita.db.transaction(write=False) as tx:
            pedros = await debtor_schedule(tx, rig.policy, pedro)
            lucianas = await debtor_schedule(tx, rig.policy, luciana)
        assert [(i.message, i.status, f"{i.run_at:%d %H:%M}") for i in pedros] == [
            ("reminder.before_due", "done", "27 09:00"),
            ("reminder.due_today", "done", "28 09:00"),
        ]
        assert [(i.message, i.status) for i in lucianas] == [
            ("outreach.first", "dropped"),
            ("outreach.second", "dropped"),
        ]
        assert all((i.note or "").startswith("opted_out") for i in lucianas)
