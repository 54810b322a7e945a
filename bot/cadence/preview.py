"""`quita cadence preview`: what the cadence would send on a day, and what it would hold back.

The day is planned and every due job judged by the same rules the scheduler applies, at the
moment it would run, inside a transaction that is rolled back: nothing is stored, nothing is
sent. Caps count what was really sent plus what the preview itself lets through that day.
"""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.cadence import jobs as k
from bot.cadence.calendar import calendar_for
from bot.cadence.planner import plan_day
from bot.cadence.queries import OutboxSentCounter, SentCounter
from bot.cadence.rules import SEND, decide, rule_of
from bot.scheduler import Deliver, Done, Drop, Reschedule
from dialogs import messages as m
from dialogs.negotiation.policy import Policy
from storage import Database, UnitOfWork, tables
from storage.enums import JobStatus
from storage.rows import JobRow

WESTERNMOST = ZoneInfo("America/Rio_Branco")  # the last Brazilian zone to finish a day
MAX_STEPS_PER_JOB = 16  # a job moved within the day more often than this is a bug


@dataclass(frozen=True, slots=True)
class PreviewLine:
    """One job's fate that day. `at` is local to the debtor; `verdict` is `send` or a rule."""

    at: datetime
    job_id: int
    debtor_id: int | None
    kind: str
    message: str
    channel: str | None
    verdict: str
    reason: str
    next_try: datetime | None = None

    @property
    def sent(self) -> bool:
        return self.verdict == SEND


@dataclass
class Preview:
    day: date
    lines: list[PreviewLine] = field(default_factory=list)

    @property
    def to_send(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.sent]

    @property
    def held(self) -> list[PreviewLine]:
        return [line for line in self.lines if not line.sent]

    def held_by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for line in self.held:
            counts[line.verdict] = counts.get(line.verdict, 0) + 1
        return dict(sorted(counts.items()))


class _RollbackError(Exception):
    """Leaves the preview's transaction without committing anything."""


class _PreviewCounter:
    """Real sends from the outbox plus the sends this preview already let through."""

    def __init__(self, real: SentCounter) -> None:
        self._real = real
        self._simulated: list[tuple[int, datetime]] = []

    def add(self, debtor_id: int, at: datetime) -> None:
        self._simulated.append((debtor_id, at))

    async def sent_between(self, debtor_id: int, start: datetime, end: datetime) -> int:
        simulated = sum(1 for who, at in self._simulated if who == debtor_id and start <= at < end)
        return await self._real.sent_between(debtor_id, start, end) + simulated


def message_of(policy: Policy, job: JobRow) -> str:
    """The message id a job would send (the verified wording), for people reading a preview."""
    if job.kind == k.INSTALLMENT_REMINDER:
        ref = k.InstallmentRef.parse(job.ref)
        for step in policy.cadence.installment_steps:
            if ref is not None and step.offset_days == ref.offset_days:
                return step.message
    if job.kind == k.OUTREACH:
        outreach = k.OutreachRef.parse(job.ref)
        for item in policy.cadence.outreach_steps:
            if outreach is not None and item.after_days == outreach.after_days:
                return item.message
    if job.kind == k.PROMISE_REMINDER:
        return m.REMINDER_PROMISE_TODAY
    if job.kind == k.PROMISE_FOLLOWUP:
        return m.REMINDER_PROMISE_MISSED
    return job.kind


async def preview_day(
    db: Database, policy: Policy, day: date, *, reachable: Collection[str]
) -> Preview:
    """Judge every job that would come due on `day`, without storing or sending anything."""
    result = Preview(day)
    with contextlib.suppress(_RollbackError):
        async with db.transaction() as tx:
            await _simulate(tx, policy, day, reachable, result)
            _roll_back()
    result.lines.sort(key=lambda line: (line.at, line.job_id))
    return result


async def _simulate(
    tx: UnitOfWork, policy: Policy, day: date, reachable: Collection[str], result: Preview
) -> None:
    zone = policy.contact.zone
    day_start = datetime.combine(day, time(0), tzinfo=zone)
    day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=WESTERNMOST)
    await plan_day(tx, policy, day, day_start)
    job_t = tables.scheduled_job
    rows = await tx.connection.execute(
        select(job_t).where(
            job_t.c.status == JobStatus.PENDING.value,
            job_t.c.run_at < day_end,
            job_t.c.kind.in_(sorted(k.CADENCE_KINDS)),
        )
    )
    queue: list[tuple[datetime, int, int, JobRow]] = []
    for row in rows.mappings():
        job = JobRow.from_row(row)
        heapq.heappush(queue, (max(job.run_at, day_start), job.id, 0, job))
    counter = _PreviewCounter(OutboxSentCounter(tx))
    while queue:
        moment, _, moves, job = heapq.heappop(queue)
        outcome = await decide(job, tx, policy, moment, counter, reachable)
        debtor = await _debtor_of(tx, job)
        calendar = calendar_for(policy.contact, debtor[1] if debtor else None)
        local = calendar.local(moment)
        if local.date() > day:
            continue  # it comes due the day after (its zone's day ends later)
        line = PreviewLine(
            at=local,
            job_id=job.id,
            debtor_id=debtor[0] if debtor else job.debtor_id,
            kind=job.kind,
            message=message_of(policy, job),
            channel=None,
            verdict=SEND,
            reason="",
        )
        match outcome:
            case Deliver(key=key, event=event, note=note):
                if line.debtor_id is not None:
                    counter.add(line.debtor_id, moment)
                due = getattr(event, "due_date", None)
                message = line.message
                if _due_day_step(job) and due is not None and local.date() < due:
                    message = m.REMINDER_BEFORE_DUE  # the due day is closed: said the day before
                result.lines.append(
                    _with(line, channel=key.channel.value, message=message, reason=note)
                )
            case Reschedule(run_at=run_at, note=note):
                if calendar.local(run_at).date() == day and moves < MAX_STEPS_PER_JOB:
                    heapq.heappush(queue, (run_at, job.id, moves + 1, job))
                else:
                    result.lines.append(
                        _with(line, verdict=rule_of(note), reason=note, next_try=run_at)
                    )
            case Drop(reason=reason):
                result.lines.append(_with(line, verdict=rule_of(reason), reason=reason))
            case Done(note=note):
                result.lines.append(_with(line, verdict=rule_of(note), reason=note))


def _due_day_step(job: JobRow) -> bool:
    ref = k.InstallmentRef.parse(job.ref) if job.kind == k.INSTALLMENT_REMINDER else None
    return ref is not None and ref.offset_days == 0


def _roll_back() -> None:
    raise _RollbackError


def _with(line: PreviewLine, **changes: object) -> PreviewLine:
    return replace(line, **changes)  # type: ignore[arg-type]


async def _debtor_of(tx: UnitOfWork, job: JobRow) -> tuple[int, str | None] | None:
    debtor_id = job.debtor_id
    if debtor_id is None and job.conversation_id is not None:
        conv = await tx.conversations.get(job.conversation_id)
        debtor_id = conv.debtor_id if conv else None
    if debtor_id is None:
        return None
    debtor = await tx.debtors.get(debtor_id)
    return (debtor_id, debtor.state if debtor else None)
