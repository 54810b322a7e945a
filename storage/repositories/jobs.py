"""Durable scheduled jobs (reminders, follow-ups, timeouts), idempotent on their key.

Jobs survive restarts; a claimed job carries a lease so a crashed worker's job runs again,
and on PostgreSQL `SKIP LOCKED` lets several schedulers share the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, bindparam, or_, select, text, update
from sqlalchemy.dialects import postgresql

from storage import tables
from storage.enums import JobStatus
from storage.prepared import Prepared, bound
from storage.repositories.base import Repository, insert_or_ignore
from storage.rows import JobRow, NewJob
from storage.types import UTCDateTime, utc_now

t = tables.scheduled_job

# Dialog steps and agreements schedule jobs: prepared, run straight on the driver.
_COLUMNS = (
    "kind",
    "run_at",
    "key",
    "ref",
    "conversation_id",
    "debtor_id",
    "status",
    "attempts",
    "created_at",
)
_SCHEDULE = Prepared(
    lambda dialect: insert_or_ignore(dialect, t, ("key",), ("id",)).values(bound(*_COLUMNS))
)
_SCHEDULE_QUIETLY = Prepared(
    lambda dialect: insert_or_ignore(dialect, t, ("key",)).values(bound(*_COLUMNS))
)
# PostgreSQL: a chat's jobs (a deal's six installment checks) in one statement over arrays.
# executemany ran the insert once per job, each run setting up its executor anew: ~126 µs of
# server time a job in the bench.
_SCHEDULE_ALL = Prepared(
    text(
        f"""
INSERT INTO scheduled_job (kind, run_at, key, ref, conversation_id, debtor_id, status,
                           attempts, created_at)
SELECT j.kind, CAST(j.run_at AS TIMESTAMPTZ), j.key, j.ref, :conversation_id, :debtor_id,
       '{JobStatus.PENDING.value}', 0, :created_at
FROM unnest(CAST(:kinds AS TEXT[]), CAST(:run_ats AS TEXT[]), CAST(:keys AS TEXT[]),
            CAST(:refs AS TEXT[])) WITH ORDINALITY AS j(kind, run_at, key, ref, ord)
ORDER BY j.ord
ON CONFLICT (key) DO NOTHING
"""  # noqa: S608 - only our enum value goes into the text
    ).bindparams(
        *(
            bindparam(name, type_=postgresql.ARRAY(String))
            for name in ("kinds", "run_ats", "keys", "refs")
        ),
        bindparam("conversation_id", type_=Integer),
        bindparam("debtor_id", type_=Integer),
        bindparam("created_at", type_=UTCDateTime()),
    )
)


class SqlJobs(Repository):
    __slots__ = ()

    async def schedule(
        self,
        kind: str,
        run_at: datetime,
        key: str,
        ref: str = "",
        *,
        conversation_id: int | None = None,
        debtor_id: int | None = None,
        now: datetime | None = None,
    ) -> int | None:
        """Schedule once per key; None if a job with this key already exists."""
        job = NewJob(kind, run_at, key, ref)
        values = _values(job, conversation_id, debtor_id, now or utc_now())
        inserted = await self.conn.fetch(_SCHEDULE, values)
        return int(inserted[0]["id"]) if inserted else None

    async def schedule_many(
        self,
        jobs: Sequence[NewJob],
        *,
        conversation_id: int | None = None,
        debtor_id: int | None = None,
        now: datetime | None = None,
    ) -> None:
        """`schedule` for several jobs of one chat in one driver call (one round trip)."""
        created_at = now or utc_now()
        if self.is_postgres:
            if jobs:
                await self.conn.run(
                    _SCHEDULE_ALL, _arrays(jobs, conversation_id, debtor_id, created_at)
                )
            return
        await self.conn.run_many(
            _SCHEDULE_QUIETLY,
            [_values(job, conversation_id, debtor_id, created_at) for job in jobs],
        )

    async def claim_due(self, now: datetime, limit: int, lease_seconds: float) -> list[JobRow]:
        """Lease due jobs (and jobs whose worker's lease ran out), earliest first."""
        candidate = t.alias("candidate")
        due = (
            select(candidate.c.id)
            .where(
                or_(
                    (candidate.c.status == JobStatus.PENDING.value) & (candidate.c.run_at <= now),
                    (candidate.c.status == JobStatus.RUNNING.value)
                    & (candidate.c.claimed_until <= now),
                )
            )
            .order_by(candidate.c.run_at, candidate.c.id)
            .limit(limit)
        )
        if self.is_postgres:
            due = due.with_for_update(skip_locked=True)
        stmt = (
            update(t)
            .where(t.c.id.in_(due))
            .values(
                status=JobStatus.RUNNING.value,
                claimed_until=now + timedelta(seconds=lease_seconds),
                attempts=t.c.attempts + 1,
            )
            .returning(*t.c)
        )
        claimed = [JobRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]
        return sorted(claimed, key=lambda job: (job.run_at, job.id))

    async def complete(self, job_id: int) -> None:
        await self._finish(job_id, JobStatus.DONE, None)

    async def drop(self, job_id: int, reason: str) -> None:
        """Not run and never will be (e.g. outside the contact window for too long)."""
        await self._finish(job_id, JobStatus.DROPPED, reason)

    async def reschedule(self, job_id: int, run_at: datetime, note: str | None = None) -> None:
        """Put a claimed job back to wait until `run_at` (e.g. the next contact window)."""
        stmt = (
            update(t)
            .where(t.c.id == job_id)
            .values(status=JobStatus.PENDING.value, run_at=run_at, claimed_until=None, result=note)
        )
        await self.conn.execute(stmt)

    async def cancel_prefix(self, key_prefix: str) -> int:
        """Cancel pending jobs whose key starts with `key_prefix`; returns how many."""
        stmt = (
            update(t)
            .where(
                t.c.key.startswith(key_prefix, autoescape=True),
                t.c.status == JobStatus.PENDING.value,
            )
            .values(status=JobStatus.CANCELLED.value)
        )
        return int((await self.conn.execute(stmt)).rowcount)

    async def get(self, job_id: int) -> JobRow | None:
        found = (await self.conn.execute(select(t).where(t.c.id == job_id))).mappings().first()
        return None if found is None else JobRow.from_row(found)

    async def by_key(self, key: str) -> JobRow | None:
        found = (await self.conn.execute(select(t).where(t.c.key == key))).mappings().first()
        return None if found is None else JobRow.from_row(found)

    async def _finish(self, job_id: int, status: JobStatus, result: str | None) -> None:
        stmt = (
            update(t)
            .where(t.c.id == job_id)
            .values(status=status.value, claimed_until=None, result=result)
        )
        await self.conn.execute(stmt)


def _arrays(
    jobs: Sequence[NewJob], conversation_id: int | None, debtor_id: int | None, created_at: datetime
) -> dict[str, Any]:
    """The parameters of `_SCHEDULE_ALL` for `jobs`."""
    return {
        "kinds": [job.kind for job in jobs],
        "run_ats": [job.run_at.isoformat() for job in jobs],
        "keys": [job.key for job in jobs],
        "refs": [job.ref for job in jobs],
        "conversation_id": conversation_id,
        "debtor_id": debtor_id,
        "created_at": created_at,
    }


def _values(
    job: NewJob, conversation_id: int | None, debtor_id: int | None, created_at: datetime
) -> dict[str, Any]:
    """A new job's row: every column `_SCHEDULE` binds."""
    return {
        "kind": job.kind,
        "run_at": job.run_at,
        "key": job.key,
        "ref": job.ref,
        "conversation_id": conversation_id,
        "debtor_id": debtor_id,
        "status": JobStatus.PENDING.value,
        "attempts": 0,
        "created_at": created_at,
    }
