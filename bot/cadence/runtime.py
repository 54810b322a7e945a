"""The cadence in a running Quita: its job kinds on the scheduler and the daily planner loop.

The planner plans each local day once it starts (a durable marker records it), catches up
days missed while Quita was down (their jobs then pass the rules: still relevant ones go,
stale ones are dropped with the reason), and re-plans today now and then so debtors
imported during the day get their outreach.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.cadence.kinds import register_cadence_kinds
from bot.cadence.planner import PlanSummary, plan_day, record_planned, was_planned
from bot.clock import Clock
from dialogs.negotiation.policy import Policy
from storage import Database

if TYPE_CHECKING:
    from bot.app import Quita
    from bot.scheduler import Scheduler

log = logging.getLogger(__name__)

CATCH_UP_DAYS = 7
REPLAN_SECONDS = 600.0


class CadencePlanner:
    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        *,
        catch_up_days: int = CATCH_UP_DAYS,
        replan_seconds: float = REPLAN_SECONDS,
        scheduler: Scheduler | None = None,
    ) -> None:
        self._db = db
        self._policy = policy
        self._clock = clock
        self._catch_up = catch_up_days
        self._replan = replan_seconds
        self._scheduler = scheduler

    def today(self) -> date:
        return self._clock.now().astimezone(self._policy.contact.zone).date()

    async def plan(self, day: date) -> PlanSummary:
        """Plan one day (idempotent) and record that it was planned."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            summary = await plan_day(tx, self._policy, day, now)
            await record_planned(tx, day, now)
        log.info(
            "cadence: planned %s: %d installment and %d outreach jobs",
            day,
            summary.installment_jobs,
            summary.outreach_jobs,
        )
        if summary.jobs and self._scheduler is not None:
            self._scheduler.wake()
        return summary

    async def plan_due(self) -> list[PlanSummary]:
        """Plan the days missed since the last planned one (at most `catch_up_days`) and today."""
        today = self.today()
        missed: list[date] = []
        async with self._db.transaction(write=False) as tx:
            for back in range(1, self._catch_up + 1):
                day = today - timedelta(days=back)
                if await was_planned(tx, day):
                    break
                missed.append(day)
            else:
                missed = []  # never planned before: start today, do not flood old steps
        return [await self.plan(day) for day in [*reversed(missed), today]]

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.plan_due()
            except Exception:
                log.exception("cadence planning failed; retrying later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self._replan)


def attach_cadence(quita: Quita, scheduler: Scheduler) -> CadencePlanner:
    register_cadence_kinds(quita.outbox.channels)
    planner = CadencePlanner(quita.db, quita.policy, quita.clock, scheduler=scheduler)
    quita.background.append(planner.run)
    return planner
