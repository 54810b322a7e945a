"""The durable scheduler: kinds registry, crash and restart without duplicates or losses,
catch-up after downtime, several schedulers on one queue, failures retried then dropped."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.channels.base import Inbound
from bot.scheduler import (
    Deliver,
    Done,
    JobEnv,
    JobOutcome,
    Scheduler,
    deliver_to_conversation,
    handler_for,
    job_kind,
    register_job_kind,
    registered_kinds,
)
from bot.service import ConversationService
from storage import Database, tables
from storage.rows import JobRow
from tests.bot.cadence.portfolio import dress
from tests.bot.cadence.rig import SAO_PAULO, Rig, cadence_rig


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SAO_PAULO)


async def jobs(rig: Rig, kind: str) -> list[JobRow]:
    t = tables.scheduled_job
    async with rig.quita.db.transaction(write=False) as tx:
        rows = await tx.connection.execute(select(t).where(t.c.kind == kind).order_by(t.c.id))
        return [JobRow.from_row(r) for r in rows.mappings()]


def texts_per_address(rig: Rig) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sent in rig.sent:
        counts[sent.address] = counts.get(sent.address, 0) + 1
    return counts


def test_kinds_register_once_and_unknown_kinds_use_the_default() -> None:
    @job_kind("test_only_kind")
    async def handle(job: JobRow, env: JobEnv) -> JobOutcome:
        return Done("custom")

    assert "test_only_kind" in registered_kinds()
    assert handler_for("test_only_kind") is handle
    assert handler_for("nobody_registered_this") is deliver_to_conversation

    async def other(job: JobRow, env: JobEnv) -> JobOutcome:
        return Done()

    with pytest.raises(RuntimeError, match="two handlers"):
        register_job_kind("test_only_kind", other)
    register_job_kind("test_only_kind", other, replace=True)
    assert handler_for("test_only_kind") is other


async def test_a_crash_between_handling_and_completing_sends_nothing_twice(
    database_url: str,
) -> None:
    async with cadence_rig(database_url) as rig:
        await rig.planner.plan_due()
        # Process 1 claims the first outreach jobs, hands half of them to the service, then
        # dies before marking anything done.
        claimed = await rig.scheduler.claim(rig.clock.now())
        assert len(claimed) == 9
        for job in claimed[:4]:
            async with rig.quita.db.transaction(write=False) as tx:
                from bot.cadence.queries import OutboxSentCounter
                from bot.cadence.rules import decide

                outcome = await decide(
                    job, tx, rig.policy, rig.clock.now(), OutboxSentCounter(tx), {"whatsapp"}
                )
            assert isinstance(outcome, Deliver)
            await rig.quita.service.handle(
                Inbound(
                    outcome.key,
                    outcome.event,
                    rig.clock.now(),
                    idempotency_key=f"job:{job.id}",
                )
            )
        # Restart: a new scheduler finds nothing due until the dead one's lease runs out.
        restarted = Scheduler(rig.quita.db, rig.quita.service, rig.clock, lease_seconds=60)
        assert (await restarted.run_due()).claimed == 0
        rig.clock.advance(timedelta(seconds=61))
        summary = await restarted.run_due()
        assert summary.claimed == 9
        assert summary.duplicates == 4
        while await rig.quita.outbox.drain_once():
            pass
        counts = texts_per_address(rig)
        assert len(counts) == 9  # every debtor reached: nothing lost
        assert set(counts.values()) == {1}  # nobody twice
        assert {job.status for job in await jobs(rig, "outreach")} == {"done"}


async def test_after_downtime_overdue_jobs_run_once_if_relevant_or_drop_with_a_reason(
    database_url: str,
) -> None:
    async with cadence_rig(database_url) as rig:
        await dress(rig)
        await rig.planner.plan_due()  # Wednesday planned, then Quita is down until Saturday
        await rig.tick(local(11, 28, 10))
        outreach = {job.key.rsplit(":", 1)[1]: job for job in await jobs(rig, "outreach")}
        first = [j for j in await jobs(rig, "outreach") if j.key.endswith(":0")]
        second = [j for j in await jobs(rig, "outreach") if j.key.endswith(":3")]
        assert outreach
        assert {j.status for j in first} == {"dropped"}
        assert all((j.result or "").startswith("stale") or "opted_out" in (j.result or "")
                   for j in first)  # fmt: skip
        assert {j.status for j in second} == {"done", "dropped"}  # the opted-out one dropped
        counts = texts_per_address(rig)
        assert set(counts.values()) == {1}  # one message each that day (daily cap)
        installment = await jobs(rig, "installment_reminder")
        statuses = {job.key.rsplit(":", 1)[1]: (job.status, job.result) for job in installment}
        assert statuses["-3"][0] == "done"  # D-3 (Friday) still made sense on Saturday
        assert statuses["0"][0] == "dropped"  # the same day: capped, no opening before the due day
        assert (statuses["0"][1] or "").startswith("cap")


async def test_a_message_due_at_21h_goes_at_the_next_opening(database_url: str) -> None:
    async with cadence_rig(database_url) as rig:
        debtor_id = await rig.debtor_id("CLI-0009")
        rig.clock.set(local(12, 1, 21))
        async with rig.transaction() as tx:
            await tx.jobs.schedule(
                "outreach",
                local(12, 1, 21),
                "test:late",
                "0:2026-12-01",
                debtor_id=debtor_id,
                now=rig.clock.now(),
            )
        await rig.tick(local(12, 1, 21))
        [job] = [j for j in await jobs(rig, "outreach") if j.key == "test:late"]
        assert job.status == "pending"
        assert job.run_at == local(12, 2, 8)
        assert (job.result or "").startswith("window: after the contact window (20:00)")
        assert rig.sent == []
        await rig.tick(local(12, 2, 8))
        assert [s.at for s in rig.sent] == [local(12, 2, 8)]


async def test_several_schedulers_share_the_queue_without_running_a_job_twice(
    database_url: str,
) -> None:
    async with cadence_rig(database_url) as rig:
        await rig.planner.plan_due()
        other_db = Database(database_url)
        try:
            other_service = ConversationService(other_db, rig.policy, rig.clock)
            first = Scheduler(rig.quita.db, rig.quita.service, rig.clock, batch=2)
            second = Scheduler(other_db, other_service, rig.clock, batch=2)
            one, two = await asyncio.gather(first.run_due(), second.run_due())
        finally:
            await other_db.dispose()
        assert one.claimed + two.claimed == 9
        while await rig.quita.outbox.drain_once():
            pass
        assert set(texts_per_address(rig).values()) == {1}


async def test_a_failing_job_is_retried_later_then_dropped_with_the_reason(
    database_url: str,
) -> None:
    calls: list[int] = []

    async def broken(job: JobRow, env: JobEnv) -> JobOutcome:
        calls.append(job.id)
        raise RuntimeError("boom")

    register_job_kind("test_broken", broken, replace=True)
    async with cadence_rig(database_url, seed=False) as rig:
        async with rig.transaction() as tx:
            await tx.jobs.schedule("test_broken", rig.clock.now(), "broken:1", now=rig.clock.now())
        scheduler = Scheduler(rig.quita.db, rig.quita.service, rig.clock, max_attempts=3)
        for _ in range(3):
            await scheduler.run_due()
            [job] = await jobs(rig, "test_broken")
            rig.clock.set(job.run_at)
        [job] = await jobs(rig, "test_broken")
        assert len(calls) == 3
        assert job.status == "dropped"
        assert job.result == "failed: RuntimeError after 3 attempts"
