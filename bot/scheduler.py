"""The durable scheduler: due rows of `scheduled_job` become events for the service.

Jobs live in the database, so a restart loses nothing. One pass claims a batch with a lease
(`SKIP LOCKED` on PostgreSQL lets several processes share the queue), asks the job kind's
handler what to do, and then either hands an event to `ConversationService.handle`, drops the
job with a recorded reason, or puts it back to wait. The event carries
`idempotency_key=f"job:{id}"`: if the process dies after the service committed but before the
job was marked done, the lease runs out, the job is claimed again and the service recognises
the key — the debtor never hears the same thing twice.

Other features add job kinds with `@job_kind("name")`; a kind nobody registered that targets
a conversation is delivered as `ReminderDue(kind, ref)`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.clock import Clock
from dialogs.flow.events import Event, ReminderDue
from dialogs.negotiation.policy import Policy
from storage import Database, UnitOfWork, tables
from storage.rows import JobRow

if TYPE_CHECKING:
    from bot.app import Quita
    from bot.service import ConversationService

log = logging.getLogger(__name__)

DEFAULT_BATCH = 100
DEFAULT_LEASE_SECONDS = 120.0
DEFAULT_POLL_SECONDS = 1.0
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_CONCURRENCY = 8
MAX_RETRY_DELAY = timedelta(hours=1)
ALREADY_DELIVERED = "already delivered before a restart"
EVENT_CHANNEL = "event"  # where the service records events' idempotency keys (`inbound`)


# ------------------------------------------------------------------------------- outcomes


@dataclass(frozen=True, slots=True)
class Deliver:
    """Hand `event` to the conversation at `key` (created if it does not exist yet)."""

    key: ConversationKey
    event: Event
    note: str = "delivered"
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class Drop:
    """Never run this job; `reason` is stored on the row (no personal data)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Reschedule:
    """Not now: wait until `run_at` (e.g. the next contact window); `note` says why."""

    run_at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class Done:
    """The handler did the work itself; nothing to deliver."""

    note: str = "done"


JobOutcome = Deliver | Drop | Reschedule | Done


@dataclass(frozen=True, slots=True)
class JobEnv:
    """What a job handler may read while it decides. `tx` is read-only for handlers."""

    tx: UnitOfWork
    policy: Policy
    now: datetime


JobHandler = Callable[[JobRow, JobEnv], Awaitable[JobOutcome]]


# ------------------------------------------------------------------------------- registry

_KINDS: dict[str, JobHandler] = {}


def register_job_kind(kind: str, handler: JobHandler, *, replace: bool = False) -> None:
    """Say how jobs of `kind` run. One handler per kind (`replace=True` for tests/overrides)."""
    if not kind or len(kind) > 64:
        raise ValueError(f"job kind {kind!r} must have 1 to 64 characters")
    if kind in _KINDS and not replace and _KINDS[kind] is not handler:
        raise RuntimeError(f"two handlers for job kind {kind!r}")
    _KINDS[kind] = handler


def job_kind(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Decorator form of `register_job_kind`."""

    def register(handler: JobHandler) -> JobHandler:
        register_job_kind(kind, handler)
        return handler

    return register


def registered_kinds() -> frozenset[str]:
    return frozenset(_KINDS)


def handler_for(kind: str) -> JobHandler:
    return _KINDS.get(kind, deliver_to_conversation)


async def conversation_key(tx: UnitOfWork, conversation_id: int) -> ConversationKey | None:
    conv = await tx.conversations.get(conversation_id)
    if conv is None:
        return None
    return ConversationKey(ChannelName(conv.channel), conv.address)


async def deliver_to_conversation(
    job: JobRow, env: JobEnv, *, due_date: date | None = None
) -> JobOutcome:
    """Default for any kind: `ReminderDue(kind, ref, due_date)` to the job's conversation."""
    if job.conversation_id is None:
        return Drop("no conversation to deliver to")
    key = await conversation_key(env.tx, job.conversation_id)
    if key is None:
        return Drop("conversation no longer exists")
    return Deliver(key, ReminderDue(job.kind, job.ref, due_date))


# ------------------------------------------------------------------------------ scheduler


@dataclass
class RunSummary:
    """What one pass did, by outcome; for logs, tests and the CLI."""

    claimed: int = 0
    delivered: int = 0
    duplicates: int = 0
    dropped: int = 0
    rescheduled: int = 0
    done: int = 0
    failed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def count(self, reason: str) -> None:
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


class Scheduler:
    """Claims due jobs and runs them; `run(stop)` is the background loop."""

    def __init__(
        self,
        db: Database,
        service: ConversationService,
        clock: Clock,
        *,
        batch: int = DEFAULT_BATCH,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self._db = db
        self._service = service
        self._clock = clock
        self._batch = batch
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._max_attempts = max_attempts
        self._concurrency = concurrency
        self._wake = asyncio.Event()
        self.passes = 0

    @property
    def policy(self) -> Policy:
        return self._service.policy

    def wake(self) -> None:
        """Run a pass now instead of at the next poll (e.g. a job was just scheduled)."""
        self._wake.set()

    async def claim(self, now: datetime) -> list[JobRow]:
        async with self._db.transaction() as tx:
            return await tx.jobs.claim_due(now, self._batch, self._lease)

    async def run_due(self, *, limit_batches: int | None = None) -> RunSummary:
        """Run every job due now (batch after batch) and return what happened."""
        summary = RunSummary()
        batches = 0
        while limit_batches is None or batches < limit_batches:
            now = self._clock.now()
            jobs = await self.claim(now)
            if not jobs:
                break
            batches += 1
            summary.claimed += len(jobs)
            await self._run_batch(jobs, now, summary)
            if len(jobs) < self._batch:
                break
        self.passes += 1
        return summary

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                summary = await self.run_due()
                if summary.claimed:
                    log.info(
                        "scheduler: claimed=%d delivered=%d dropped=%d rescheduled=%d failed=%d",
                        summary.claimed,
                        summary.delivered,
                        summary.dropped,
                        summary.rescheduled,
                        summary.failed,
                    )
            except Exception:
                log.exception("scheduler pass failed; retrying after the poll interval")
            self._wake.clear()
            stopping = asyncio.create_task(stop.wait())
            waking = asyncio.create_task(self._wake.wait())
            await asyncio.wait(
                (stopping, waking), timeout=self._poll, return_when=asyncio.FIRST_COMPLETED
            )
            for task in (stopping, waking):
                task.cancel()

    async def _run_batch(self, jobs: list[JobRow], now: datetime, summary: RunSummary) -> None:
        """Jobs of one debtor run in order (caps count what the previous one sent);
        different debtors run concurrently, bounded."""
        groups: dict[Hashable, list[JobRow]] = {}
        for job in jobs:
            groups.setdefault(_group_key(job), []).append(job)
        gate = asyncio.Semaphore(self._concurrency)

        async def run_group(group: Iterable[JobRow]) -> None:
            async with gate:
                for job in group:
                    await self._run_one(job, now, summary)

        await asyncio.gather(*(run_group(group) for group in groups.values()))

    async def _run_one(self, job: JobRow, now: datetime, summary: RunSummary) -> None:
        try:
            async with self._db.transaction(write=False) as tx:
                if job.attempts > 1 and await _was_delivered(tx, job):
                    outcome: JobOutcome = Done(ALREADY_DELIVERED)
                    summary.duplicates += 1
                else:
                    outcome = await handler_for(job.kind)(job, JobEnv(tx, self.policy, now))
            if isinstance(outcome, Deliver):
                result = await self._service.handle(
                    Inbound(
                        key=outcome.key,
                        event=outcome.event,
                        received_at=now,
                        idempotency_key=idempotency_key(job),
                        locale=outcome.locale,
                    )
                )
                if result.duplicate:
                    summary.duplicates += 1
                    outcome = Done(ALREADY_DELIVERED)
        except Exception as error:
            await self._failed(job, now, error, summary)
            return
        await self._settle(job, outcome, summary)

    async def _settle(self, job: JobRow, outcome: JobOutcome, summary: RunSummary) -> None:
        async with self._db.transaction() as tx:
            match outcome:
                case Deliver(note=note):
                    await tx.jobs.complete(job.id)
                    summary.delivered += 1
                    summary.count(note)
                case Done(note=note):
                    await tx.jobs.complete(job.id)
                    summary.done += 1
                    summary.count(note)
                case Drop(reason=reason):
                    await tx.jobs.drop(job.id, reason)
                    summary.dropped += 1
                    summary.count(reason)
                case Reschedule(run_at=run_at, note=note):
                    await tx.jobs.reschedule(job.id, run_at, note)
                    summary.rescheduled += 1
                    summary.count(note)
        log.debug("job %s (%s): %s", job.id, job.kind, type(outcome).__name__)

    async def _failed(
        self, job: JobRow, now: datetime, error: Exception, summary: RunSummary
    ) -> None:
        """Retry with a growing delay; give up (recorded) after `max_attempts` claims."""
        log.warning("job %s (%s) failed: %s", job.id, job.kind, type(error).__name__, exc_info=True)
        summary.failed += 1
        reason = f"failed: {type(error).__name__}"
        async with self._db.transaction() as tx:
            if job.attempts >= self._max_attempts:
                await tx.jobs.drop(job.id, f"{reason} after {job.attempts} attempts")
            else:
                delay = min(timedelta(seconds=30 * 2 ** (job.attempts - 1)), MAX_RETRY_DELAY)
                await tx.jobs.reschedule(job.id, now + delay, reason)


def idempotency_key(job: JobRow) -> str:
    return f"job:{job.id}"


async def _was_delivered(tx: UnitOfWork, job: JobRow) -> bool:
    """Did a previous claim of this job reach the service (which records the key)?"""
    inbound = tables.inbound
    stmt = select(inbound.c.id).where(
        inbound.c.channel == EVENT_CHANNEL, inbound.c.external_id == idempotency_key(job)
    )
    return (await tx.connection.execute(stmt)).first() is not None


def _group_key(job: JobRow) -> Hashable:
    if job.debtor_id is not None:
        return ("debtor", job.debtor_id)
    if job.conversation_id is not None:
        return ("conversation", job.conversation_id)
    return ("job", job.id)


def attach_scheduler(quita: Quita) -> Scheduler:
    """Run the scheduler and the daily cadence planner in the app's background loops."""
    from bot.cadence.runtime import attach_cadence

    scheduler = Scheduler(quita.db, quita.service, quita.clock)
    quita.background.append(scheduler.run)
    attach_cadence(quita, scheduler)
    return scheduler
