"""`attach_scheduler` runs the scheduler and the cadence planner inside a served Quita."""

from __future__ import annotations

import asyncio

from bot.clock import ManualClock
from bot.scheduler import Done, JobEnv, JobOutcome, attach_scheduler, register_job_kind
from storage.rows import JobRow
from tests.support.harness import REFERENCE_NOW, running_quita


async def test_the_served_app_runs_due_jobs_and_plans_the_day(database_url: str) -> None:
    ran = asyncio.Event()

    async def handle(job: JobRow, env: JobEnv) -> JobOutcome:
        ran.set()
        return Done("ran in the background")

    register_job_kind("test_wiring", handle, replace=True)
    clock = ManualClock(REFERENCE_NOW)
    async with running_quita(database_url, clock=clock, attach=[attach_scheduler]) as running:
        db = running.quita.db
        async with db.transaction() as tx:
            job_id = await tx.jobs.schedule("test_wiring", clock.now(), "wiring:1", now=clock.now())
        assert job_id is not None
        await asyncio.wait_for(ran.wait(), timeout=10)
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline:  # done right after the handler
            async with db.transaction(write=False) as tx:
                job = await tx.jobs.get(job_id)
                planned = await tx.jobs.by_key("cadence:planned:2026-11-25")
            if job is not None and job.status == "done" and planned is not None:
                break
            await asyncio.sleep(0.01)
        assert job is not None
        assert job.status == "done"
        assert planned is not None  # the planner planned today on start
