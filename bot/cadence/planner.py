"""Plan a day's reminders as durable jobs, in set-based SQL (one INSERT … SELECT per group).

For a local day D and each state's calendar, Python works out which nominal days land on D —
D itself, plus the days a closed window pushes here: a pre-due step planned for a Sunday moves
back to Saturday, a post-due step planned for a holiday moves on to the next contact day —
and the database inserts every matching installment or debtor at once. Keys make it
idempotent: planning a day twice, or from two processes, gives the same jobs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, and_, cast, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnElement

from bot.cadence import jobs as k
from bot.cadence.calendar import SEARCH_DAYS, ContactCalendar, calendar_for
from dialogs.negotiation.policy import Policy
from storage import UnitOfWork, tables
from storage.enums import AgreementStatus, DebtStatus, JobStatus
from storage.types import UTCDateTime

PLAN_MARKER_KIND = "cadence_plan"
JOB_COLUMNS = (
    "kind", "run_at", "key", "ref", "conversation_id", "debtor_id", "status", "attempts",
    "created_at",
)  # fmt: skip


def plan_marker_key(day: date) -> str:
    return f"cadence:planned:{day.isoformat()}"


@dataclass
class PlanSummary:
    day: date
    installment_jobs: int = 0
    outreach_jobs: int = 0
    statements: int = 0
    closed_states: list[str] = field(default_factory=list)

    @property
    def jobs(self) -> int:
        return self.installment_jobs + self.outreach_jobs


def days_landing_on(calendar: ContactCalendar, day: date, *, before_due: bool) -> list[date]:
    """Nominal days whose message goes on `day`: pre-due ones move back to the previous
    contact day, the others forward to the next one."""
    if not calendar.is_contact_day(day):
        return []
    step = 1 if before_due else -1
    landing = [day]
    for distance in range(1, SEARCH_DAYS):
        candidate = day + timedelta(days=step * distance)
        if calendar.is_contact_day(candidate):
            break
        landing.append(candidate)
    return landing


async def plan_day(tx: UnitOfWork, policy: Policy, day: date, now: datetime) -> PlanSummary:
    """Insert the jobs whose send day is `day` (local to each debtor's state)."""
    summary = PlanSummary(day)
    groups = await _state_groups(tx, policy)
    for calendar, raw_states in groups.items():
        run_at = calendar.send_moment(day)
        if run_at is None:
            summary.closed_states.append(calendar.state)
            continue
        await _plan_installments(tx, policy, calendar, raw_states, day, run_at, now, summary)
        await _plan_outreach(tx, policy, calendar, raw_states, day, run_at, now, summary)
    return summary


async def record_planned(tx: UnitOfWork, day: date, now: datetime) -> None:
    """A durable marker (a finished job) saying `day` was planned."""
    marker = await tx.jobs.schedule(PLAN_MARKER_KIND, now, plan_marker_key(day), now=now)
    if marker is not None:
        await tx.jobs.complete(marker)


async def was_planned(tx: UnitOfWork, day: date) -> bool:
    return await tx.jobs.by_key(plan_marker_key(day)) is not None


async def _state_groups(tx: UnitOfWork, policy: Policy) -> dict[ContactCalendar, list[str]]:
    """Debtors' stored state values grouped by the calendar that applies to them."""
    debtor = tables.debtor
    rows = await tx.connection.execute(select(func.coalesce(debtor.c.state, "")).distinct())
    groups: dict[ContactCalendar, list[str]] = defaultdict(list)
    for (raw,) in rows:
        groups[calendar_for(policy.contact, raw or None)].append(str(raw))
    return groups


def _text(value: ColumnElement[int] | int | str) -> ColumnElement[str]:
    if isinstance(value, str | int):
        return literal(str(value), String)
    return cast(value, String)


def _concat(*parts: ColumnElement[int] | int | str) -> ColumnElement[str]:
    result = _text(parts[0])
    for part in parts[1:]:
        result = result + _text(part)
    return result


async def _execute_insert(tx: UnitOfWork, query: Select[Any], summary: PlanSummary) -> int:
    """INSERT … SELECT … ON CONFLICT (key) DO NOTHING; returns how many jobs are new."""
    table, columns = tables.scheduled_job, list(JOB_COLUMNS)
    stmt: Insert
    if tx.dialect == "postgresql":
        pg = postgresql.insert(table).from_select(columns, query)
        stmt = pg.on_conflict_do_nothing(index_elements=["key"])
    else:
        lite = sqlite.insert(table).from_select(columns, query)
        stmt = lite.on_conflict_do_nothing(index_elements=["key"])
    summary.statements += 1
    return int((await tx.connection.execute(stmt)).rowcount or 0)


async def _plan_installments(
    tx: UnitOfWork,
    policy: Policy,
    calendar: ContactCalendar,
    raw_states: Iterable[str],
    day: date,
    run_at: datetime,
    now: datetime,
    summary: PlanSummary,
) -> None:
    inst, agreement, debtor = tables.installment, tables.agreement, tables.debtor
    for step in policy.cadence.installment_steps:
        offset = step.offset_days
        # Pre-due and due-day steps move back to a contact day; later ones move on.
        nominal = days_landing_on(calendar, day, before_due=offset <= 0)
        due_dates = [n - timedelta(days=offset) for n in nominal]
        if not due_dates:
            continue
        query = (
            select(
                literal(k.INSTALLMENT_REMINDER, String),
                literal(run_at, UTCDateTime),
                _concat("cadence:inst:", inst.c.id, f":{offset}"),
                _concat(agreement.c.id, ":", inst.c.number, f":{offset}"),
                literal(None).label("conversation_id"),
                agreement.c.debtor_id,
                literal(JobStatus.PENDING.value, String),
                literal(0),
                literal(now, UTCDateTime),
            )
            .select_from(
                inst.join(agreement, agreement.c.id == inst.c.agreement_id).join(
                    debtor, debtor.c.id == agreement.c.debtor_id
                )
            )
            .where(
                inst.c.status.in_(("pending", "late")),
                inst.c.due_date.in_(due_dates),
                agreement.c.status == AgreementStatus.ACTIVE.value,
                func.coalesce(debtor.c.state, "").in_(list(raw_states)),
                debtor.c.erased_at.is_(None),
            )
        )
        summary.installment_jobs += await _execute_insert(tx, query, summary)


async def _plan_outreach(
    tx: UnitOfWork,
    policy: Policy,
    calendar: ContactCalendar,
    raw_states: Iterable[str],
    day: date,
    run_at: datetime,
    now: datetime,
    summary: PlanSummary,
) -> None:
    debtor, debt = tables.debtor, tables.debt
    agreement, conversation = tables.agreement, tables.conversation
    # IN (not a correlated EXISTS): SQLite would look each debtor up through the status index.
    has_open_debt = debtor.c.id.in_(
        select(debt.c.debtor_id).where(debt.c.status == DebtStatus.OPEN.value)
    )
    negotiated = exists().where(
        and_(
            agreement.c.debtor_id == debtor.c.id,
            agreement.c.status == AgreementStatus.ACTIVE.value,
        )
    )
    talking = exists().where(
        and_(conversation.c.debtor_id == debtor.c.id, conversation.c.last_inbound_at.is_not(None))
    )
    for step in policy.cadence.outreach_steps:
        for nominal in days_landing_on(calendar, day, before_due=False):
            imported_on = nominal - timedelta(days=step.after_days)
            start, end = calendar.day_bounds(imported_on)
            ref = str(k.OutreachRef(step.after_days, nominal))
            query = select(
                literal(k.OUTREACH, String),
                literal(run_at, UTCDateTime),
                _concat("cadence:out:", debtor.c.id, f":{step.after_days}"),
                literal(ref, String),
                literal(None).label("conversation_id"),
                debtor.c.id,
                literal(JobStatus.PENDING.value, String),
                literal(0),
                literal(now, UTCDateTime),
            ).where(
                debtor.c.created_at >= literal(start, UTCDateTime),
                debtor.c.created_at < literal(end, UTCDateTime),
                func.coalesce(debtor.c.state, "").in_(list(raw_states)),
                debtor.c.erased_at.is_(None),
                has_open_debt,
                ~negotiated,
                ~talking,
            )
            summary.outreach_jobs += await _execute_insert(tx, query, summary)
