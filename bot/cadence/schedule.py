"""A debtor's schedule, for the agent console: what the bot will write, and what it did or
dropped and why (reasons come from the cadence rules, never personal data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from bot.cadence.planner import PLAN_MARKER_KIND
from bot.cadence.preview import message_of
from dialogs.negotiation.policy import Policy
from storage import UnitOfWork, tables
from storage.rows import JobRow


@dataclass(frozen=True, slots=True)
class ScheduledItem:
    job_id: int
    kind: str
    message: str  # the message id it sends (or the job kind for non-cadence jobs)
    run_at: datetime  # in the debtor's local time zone of the policy
    status: str  # pending | running | done | dropped | cancelled
    note: str | None  # why it was dropped or moved


async def debtor_schedule(
    tx: UnitOfWork, policy: Policy, debtor_id: int, *, limit: int = 200
) -> list[ScheduledItem]:
    """Every job about this debtor (by debtor or by one of their chats), soonest first."""
    job_t, conv_t = tables.scheduled_job, tables.conversation
    their_chats = select(conv_t.c.id).where(conv_t.c.debtor_id == debtor_id)
    stmt = (
        select(job_t)
        .where(
            or_(job_t.c.debtor_id == debtor_id, job_t.c.conversation_id.in_(their_chats)),
            job_t.c.kind != PLAN_MARKER_KIND,
        )
        .order_by(job_t.c.run_at, job_t.c.id)
        .limit(limit)
    )
    zone = policy.contact.zone
    items = []
    for row in (await tx.connection.execute(stmt)).mappings():
        job = JobRow.from_row(row)
        items.append(
            ScheduledItem(
                job_id=job.id,
                kind=job.kind,
                message=message_of(policy, job),
                run_at=job.run_at.astimezone(zone),
                status=job.status,
                note=job.result,
            )
        )
    return items
