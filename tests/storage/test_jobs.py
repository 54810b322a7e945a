"""Scheduled jobs: one per key, claimed when due, re-run after a lost lease, cancellable."""

from __future__ import annotations

from datetime import timedelta

from storage.database import Database
from storage.rows import NewJob
from tests.storage.helpers import NOW, new_conversation, new_debtor


async def test_scheduling_the_same_key_twice_is_one_job(db: Database) -> None:
    async with db.transaction() as tx:
        first = await tx.jobs.schedule("reminder", NOW, "reminder:1:3", "inst-3", now=NOW)
        again = await tx.jobs.schedule("reminder", NOW + timedelta(days=1), "reminder:1:3")
        job = await tx.jobs.by_key("reminder:1:3")
    assert first is not None
    assert again is None
    assert job is not None
    assert job.run_at == NOW
    assert job.ref == "inst-3"


async def test_several_jobs_are_scheduled_at_once_and_existing_keys_are_kept(
    db: Database,
) -> None:
    chat = await new_conversation(db)
    async with db.transaction() as tx:
        await tx.jobs.schedule("check", NOW, "check:7:1", "kept", now=NOW)
        await tx.jobs.schedule_many(
            [
                NewJob("check", NOW + timedelta(days=1), "check:7:1", "replaced?"),
                NewJob("check", NOW + timedelta(days=31), "check:7:2", "7:2"),
            ],
            conversation_id=chat.id,
            now=NOW,
        )
        first, second = await tx.jobs.by_key("check:7:1"), await tx.jobs.by_key("check:7:2")
    assert first is not None
    assert (first.ref, first.run_at) == ("kept", NOW)
    assert second is not None
    assert (second.ref, second.run_at, second.conversation_id) == (
        "7:2",
        NOW + timedelta(days=31),
        chat.id,
    )


async def test_several_jobs_are_stored_in_the_order_given_with_their_chat_and_debtor(
    db: Database,
) -> None:
    chat = await new_conversation(db)
    debtor = await new_debtor(db)
    checks = [
        NewJob("check", NOW + timedelta(days=30 * n), f"check:9:{n}", f"9:{n}") for n in (1, 2, 3)
    ]
    async with db.transaction() as tx:
        await tx.jobs.schedule_many(checks, conversation_id=chat.id, debtor_id=debtor, now=NOW)
        stored = [await tx.jobs.by_key(check.key) for check in checks]
    assert all(job is not None for job in stored)
    jobs = [job for job in stored if job is not None]
    assert [job.id for job in jobs] == sorted(job.id for job in jobs)
    assert [(j.kind, j.run_at, j.ref, j.status, j.attempts) for j in jobs] == [
        ("check", check.run_at, check.ref, "pending", 0) for check in checks
    ]
    assert {(j.conversation_id, j.debtor_id) for j in jobs} == {(chat.id, debtor)}


async def test_only_due_jobs_are_claimed_and_a_lost_lease_runs_again(db: Database) -> None:
    async with db.transaction() as tx:
        due = await tx.jobs.schedule("timeout", NOW - timedelta(minutes=1), "t:1")
        await tx.jobs.schedule("timeout", NOW + timedelta(hours=1), "t:2")
    async with db.transaction() as tx:
        claimed = await tx.jobs.claim_due(NOW, 10, 60)
        assert [(j.id, j.status, j.attempts) for j in claimed] == [(due, "running", 1)]
        assert await tx.jobs.claim_due(NOW + timedelta(seconds=30), 10, 60) == []
        reclaimed = await tx.jobs.claim_due(NOW + timedelta(seconds=61), 10, 60)
        assert [(j.id, j.attempts) for j in reclaimed] == [(due, 2)]
        assert due is not None
        await tx.jobs.complete(due)
        assert await tx.jobs.claim_due(NOW + timedelta(minutes=5), 10, 60) == []
        done = await tx.jobs.get(due)
    assert done is not None
    assert done.status == "done"


async def test_drop_and_reschedule_record_why(db: Database) -> None:
    async with db.transaction() as tx:
        a = await tx.jobs.schedule("outreach", NOW, "o:1")
        b = await tx.jobs.schedule("outreach", NOW, "o:2")
        assert a is not None
        assert b is not None
        await tx.jobs.claim_due(NOW, 10, 60)
        await tx.jobs.drop(a, "outside contact window")
        await tx.jobs.reschedule(b, NOW + timedelta(hours=12), "moved to next window")
        assert await tx.jobs.claim_due(NOW + timedelta(hours=1), 10, 60) == []
        dropped, moved = await tx.jobs.get(a), await tx.jobs.get(b)
    assert dropped is not None
    assert (dropped.status, dropped.result) == (
        "dropped",
        "outside contact window",
    )
    assert moved is not None
    assert moved.status == "pending"


async def test_cancel_prefix_matches_the_prefix_literally(db: Database) -> None:
    async with db.transaction() as tx:
        for key in ("promise:7:a", "promise:7:b", "promise:70:a", "promise%7:x", "promise_7:y"):
            await tx.jobs.schedule("promise", NOW, key)
        assert await tx.jobs.cancel_prefix("promise:7:") == 2
        assert await tx.jobs.cancel_prefix("promise%") == 1
        remaining = await tx.jobs.claim_due(NOW, 10, 60)
    assert sorted(j.key for j in remaining) == ["promise:70:a", "promise_7:y"]
