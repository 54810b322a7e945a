"""Report queries: portfolio, funnel, recovery, agreements, escalations, messages, ranking.

Every figure is one set-based statement over a period of local days ([start, end], both
inclusive, in the creditor's time zone). Two pre-aggregated tables keep the dashboard fast
on large portfolios (see `docs/reports.md`):

- `report_funnel`: when each debtor first reached each stage, refreshed incrementally for
  the debtors touched since the last refresh (watermarks on message, agreement, payment ids
  and on contact verification time). The funnel is a cohort: debtors first contacted in the
  period, and how many of them reached each later stage by the period's end.
- `report_daily`: messages per local day and channel for settled days (delivery statuses
  stop changing after a couple of days); newer days are counted live.

"Offered" means the bot showed a plan list or an agreement summary: an outbound message with
a `plan:` or `confirm` button (the dialog's offer buttons).
"""

# SQL text is assembled only from constants, integers and validated time zone names; every
# value that comes from outside is a bound parameter.
# ruff: noqa: S608
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from storage.connection import Executor

SETTLE_DAYS = 2
"""Days after which a day's delivery statuses are final and it moves to `report_daily`."""

LOCK_KEY = 0x51_0010  # advisory lock id for report refreshes ("Q", issue 10)
STAGES = ("contacted", "engaged", "verified", "offered", "agreed", "paid")
OFFER_PATTERNS = ('%"id":"plan:%', '%"id":"confirm"%')
PROMISE_LOOKBACK_DAYS = 90  # promises are at most `offers.promise_max_days` (≤ 90) ahead
DEBT_OPEN_STATUSES = ("open", "negotiating", "disputed")


# ------------------------------------------------------------------------------ the period


@dataclass(frozen=True, slots=True)
class Period:
    """Local calendar days [start, end] in `zone`; queries use the UTC instants around them."""

    start: date
    end: date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    def instant(self, day: date) -> datetime:
        """The UTC instant at which local `day` begins."""
        return datetime.combine(day, time(0), self.zone).astimezone(UTC)

    @property
    def since(self) -> datetime:
        return self.instant(self.start)

    @property
    def until(self) -> datetime:
        """Exclusive end: the start of the day after `end`."""
        return self.instant(self.end + timedelta(days=1))

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def utc_offset_minutes(self) -> int:
        offset = self.since.astimezone(self.zone).utcoffset()
        return int(offset.total_seconds() // 60) if offset is not None else 0


# --------------------------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class Portfolio:
    debts: int  # imported up to the end of the period
    amount_cents: int  # their principal
    open_debts: int  # of those, still open now (open, negotiating, disputed)
    open_cents: int  # principal not yet paid on them


@dataclass(frozen=True, slots=True)
class Funnel:
    contacted: int
    engaged: int
    verified: int
    offered: int
    agreed: int
    paid: int

    def stages(self) -> list[tuple[str, int]]:
        return [(name, getattr(self, name)) for name in STAGES]


@dataclass(frozen=True, slots=True)
class DayAmount:
    day: date
    cents: int


@dataclass(frozen=True, slots=True)
class PlanSize:
    installments: int
    agreements: int
    total_cents: int


@dataclass(frozen=True, slots=True)
class BrokenPromises:
    agreements: int  # agreements made in the period that are now broken
    agreement_cents: int
    promises: int  # promises to pay due in the period (and past) without a payment by then


@dataclass(frozen=True, slots=True)
class EscalationReason:
    reason: str
    opened: int
    claimed: int
    resolved: int
    avg_claim_seconds: int | None
    avg_resolve_seconds: int | None


@dataclass(frozen=True, slots=True)
class ChannelMessages:
    channel: str
    sent: int  # outbound messages created in the period
    failed: int  # of those, delivery failed
    received: int


@dataclass(frozen=True, slots=True)
class OptOuts:
    channel: str
    count: int


@dataclass(frozen=True, slots=True)
class CohortDebtor:
    """A debtor first contacted in the period: did they engage, pay, and how much."""

    debtor_id: int
    engaged: bool
    paid: bool
    recovered_cents: int


# --------------------------------------------------------------------------------- helpers


def _rows(result: Any) -> list[Any]:
    return list(result.all())


class ReportQueries:
    """Report statements on one open transaction (`tx.connection`, `tx.dialect`)."""

    __slots__ = ("conn", "dialect")

    def __init__(self, conn: Executor, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect

    async def _all(self, sql: str, **params: Any) -> list[Any]:
        return _rows(await self.conn.execute(text(sql), params))

    async def _one(self, sql: str, **params: Any) -> Any:
        return (await self.conn.execute(text(sql), params)).one()

    def _local_day(self, column: str, period: Period) -> str:
        """SQL for the local calendar day of a timestamp column (text 'YYYY-MM-DD')."""
        if self.dialect == "postgresql":
            return f"to_char(({column}) AT TIME ZONE '{period.zone.key}', 'YYYY-MM-DD')"
        return f"date({column}, '{period.utc_offset_minutes():+d} minutes')"

    def _day(self, value: date) -> Any:
        """A bind value for a DATE column (ISO text on SQLite, as SQLAlchemy stores it)."""
        return value if self.dialect == "postgresql" else value.isoformat()

    def _seconds_between(self, later: str, earlier: str) -> str:
        if self.dialect == "postgresql":
            return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
        return f"((julianday({later}) - julianday({earlier})) * 86400.0)"

    def _ts(self, value: datetime) -> Any:
        """A bind value comparable with stored timestamps (naive UTC text on SQLite)."""
        if self.dialect == "postgresql":
            return value
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")

    # ----------------------------------------------------------------------------- figures

    async def portfolio(self, period: Period) -> Portfolio:
        statuses = ", ".join(f"'{s}'" for s in DEBT_OPEN_STATUSES)
        row = await self._one(
            f"""
            SELECT count(*), coalesce(sum(principal_cents), 0),
                   coalesce(sum(CASE WHEN status IN ({statuses}) THEN 1 ELSE 0 END), 0),
                   coalesce(sum(CASE WHEN status IN ({statuses})
                                     THEN principal_cents - paid_cents ELSE 0 END), 0)
            FROM debt WHERE created_at < :until
            """,
            until=self._ts(period.until),
        )
        return Portfolio(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    async def funnel(self, period: Period) -> Funnel:
        until = self._ts(period.until)
        later = ", ".join(
            f"coalesce(sum(CASE WHEN {stage}_at < :until THEN 1 ELSE 0 END), 0)"
            for stage in STAGES[1:]
        )
        row = await self._one(
            f"""
            SELECT count(*), {later} FROM report_funnel
            WHERE contacted_at >= :since AND contacted_at < :until
            """,
            since=self._ts(period.since),
            until=until,
        )
        return Funnel(*(int(value) for value in row))

    async def recovered_by_day(self, period: Period) -> list[DayAmount]:
        day = self._local_day("paid_at", period)
        rows = await self._all(
            f"""
            SELECT {day} AS day, sum(amount_cents) FROM payment
            WHERE paid_at >= :since AND paid_at < :until AND NOT flagged
            GROUP BY {day} ORDER BY 1
            """,
            since=self._ts(period.since),
            until=self._ts(period.until),
        )
        found = {date.fromisoformat(str(r[0])[:10]): int(r[1]) for r in rows}
        return [DayAmount(d, found.get(d, 0)) for d in period.days()]

    async def plan_sizes(self, period: Period) -> list[PlanSize]:
        rows = await self._all(
            """
            SELECT n, count(*), sum(total_cents) FROM (
                SELECT a.id, a.total_cents, count(i.id) AS n
                FROM agreement a JOIN installment i ON i.agreement_id = a.id
                WHERE a.created_at >= :since AND a.created_at < :until
                GROUP BY a.id, a.total_cents
            ) sized GROUP BY n ORDER BY n
            """,
            since=self._ts(period.since),
            until=self._ts(period.until),
        )
        return [PlanSize(int(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def broken_promises(self, period: Period, today: date) -> BrokenPromises:
        row = await self._one(
            """
            SELECT count(*), coalesce(sum(total_cents), 0) FROM agreement
            WHERE status = 'broken' AND created_at >= :since AND created_at < :until
            """,
            since=self._ts(period.since),
            until=self._ts(period.until),
        )
        return BrokenPromises(int(row[0]), int(row[1]), await self._broken_promises(period, today))

    async def _broken_promises(self, period: Period, today: date) -> int:
        """Promises due in the period, already past, with no payment between promise and due."""
        lookback = period.instant(period.start - timedelta(days=PROMISE_LOOKBACK_DAYS))
        rows = await self._all(
            """
            SELECT a.at, a.detail, c.debtor_id FROM audit_log a
            JOIN conversation c ON a.target = 'conversation:' || CAST(c.id AS VARCHAR(20))
            WHERE a.action = 'promise_to_pay' AND a.at >= :since AND a.at < :until
              AND c.debtor_id IS NOT NULL
            """,
            since=self._ts(lookback),
            until=self._ts(period.until),
        )
        due: list[tuple[int, datetime, datetime]] = []
        for at, detail, debtor_id in rows:
            promised = date.fromisoformat(json.loads(detail)["due"])
            if period.start <= promised <= period.end and promised < today:
                made = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
                made = made if made.tzinfo else made.replace(tzinfo=UTC)
                due.append((int(debtor_id), made, period.instant(promised + timedelta(days=1))))
        if not due:
            return 0
        debtors = sorted({debtor for debtor, _, _ in due})
        payments = await self._all(
            f"""
            SELECT a.debtor_id, p.paid_at FROM payment p JOIN agreement a ON a.id = p.agreement_id
            WHERE a.debtor_id IN ({", ".join(str(d) for d in debtors)})
              AND p.paid_at >= :since AND NOT p.flagged
            """,
            since=self._ts(lookback),
        )
        paid: dict[int, list[datetime]] = {}
        for debtor_id, paid_at in payments:
            when = paid_at if isinstance(paid_at, datetime) else datetime.fromisoformat(paid_at)
            paid.setdefault(int(debtor_id), []).append(
                when if when.tzinfo else when.replace(tzinfo=UTC)
            )
        return sum(
            1
            for debtor, made, deadline in due
            if not any(made <= when < deadline for when in paid.get(debtor, ()))
        )

    async def escalations(self, period: Period) -> list[EscalationReason]:
        claim = self._seconds_between("claimed_at", "created_at")
        resolve = self._seconds_between("closed_at", "created_at")
        rows = await self._all(
            f"""
            SELECT reason, count(*), count(claimed_at), count(closed_at),
                   avg({claim}), avg({resolve})
            FROM escalation WHERE created_at >= :since AND created_at < :until
            GROUP BY reason ORDER BY count(*) DESC, reason
            """,
            since=self._ts(period.since),
            until=self._ts(period.until),
        )
        return [
            EscalationReason(
                str(r[0]),
                int(r[1]),
                int(r[2]),
                int(r[3]),
                None if r[4] is None else round(float(r[4])),
                None if r[5] is None else round(float(r[5])),
            )
            for r in rows
        ]

    async def opt_outs(self, period: Period) -> list[OptOuts]:
        rows = await self._all(
            """
            SELECT channel, count(*) FROM contact
            WHERE opted_out_at >= :since AND opted_out_at < :until
            GROUP BY channel ORDER BY channel
            """,
            since=self._ts(period.since),
            until=self._ts(period.until),
        )
        return [OptOuts(str(r[0]), int(r[1])) for r in rows]

    async def messages(self, period: Period) -> list[ChannelMessages]:
        """Settled days from `report_daily`, the rest counted live from `message`."""
        settled = await self._watermark_day("daily")
        totals: dict[str, list[int]] = {}
        if settled is not None and settled >= period.start:
            rows = await self._all(
                """
                SELECT channel, sum(messages_out), sum(messages_failed), sum(messages_in)
                FROM report_daily WHERE day >= :start AND day <= :end GROUP BY channel
                """,
                start=self._day(period.start),
                end=self._day(min(settled, period.end)),
            )
            for r in rows:
                totals[str(r[0])] = [int(r[1]), int(r[2]), int(r[3])]
        live_from = period.start if settled is None else max(period.start, settled + timedelta(1))
        if live_from <= period.end:
            rows = await self._all(
                """
                SELECT channel,
                       coalesce(sum(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), 0),
                       coalesce(sum(CASE WHEN direction = 'out' AND delivery_status = 'failed'
                                    THEN 1 ELSE 0 END), 0),
                       coalesce(sum(CASE WHEN direction = 'in' THEN 1 ELSE 0 END), 0)
                FROM message WHERE created_at >= :since AND created_at < :until
                GROUP BY channel
                """,
                since=self._ts(period.instant(live_from)),
                until=self._ts(period.until),
            )
            for r in rows:
                current = totals.setdefault(str(r[0]), [0, 0, 0])
                for index in range(3):
                    current[index] += int(r[index + 1])
        return [
            ChannelMessages(channel, *values)
            for channel, values in sorted(totals.items())
            if any(values)
        ]

    async def cohort(self, period: Period) -> list[CohortDebtor]:
        """Debtors first contacted in the period, for per-variant (A/B) figures."""
        until = self._ts(period.until)
        rows = await self._all(
            """
            SELECT f.debtor_id, f.engaged_at < :until, f.paid_at < :until,
                   coalesce((SELECT sum(p.amount_cents) FROM payment p
                             JOIN agreement a ON a.id = p.agreement_id
                             WHERE a.debtor_id = f.debtor_id AND p.paid_at < :until
                               AND NOT p.flagged), 0)
            FROM report_funnel f
            WHERE f.contacted_at >= :since AND f.contacted_at < :until
            ORDER BY f.debtor_id
            """,
            since=self._ts(period.since),
            until=until,
        )
        return [CohortDebtor(int(r[0]), bool(r[1]), bool(r[2]), int(r[3])) for r in rows]

    # ------------------------------------------------------------------------ refreshing

    async def _watermark(self, name: str) -> tuple[int, Any]:
        rows = await self._all(
            "SELECT position, at FROM report_watermark WHERE name = :name", name=name
        )
        return (int(rows[0][0]), rows[0][1]) if rows else (0, None)

    async def _watermark_day(self, name: str) -> date | None:
        position, _ = await self._watermark(name)
        return date.fromordinal(position) if position else None

    async def _set_watermark(self, name: str, position: int, at: Any = None) -> None:
        await self.conn.execute(
            text(
                "INSERT INTO report_watermark (name, position, at) VALUES (:n, :p, :a)"
                " ON CONFLICT (name) DO UPDATE SET position = excluded.position, at = excluded.at"
            ),
            {"n": name, "p": position, "a": at},
        )

    async def refresh(self, today: date, zone: ZoneInfo) -> None:
        """Bring the pre-aggregated tables up to date (cheap when little changed).

        Refreshes are serialised (a transaction advisory lock on PostgreSQL; SQLite has one
        writer anyway), so the background refresher and a dashboard request never race.
        """
        if self.dialect == "postgresql":
            await self.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        await self.refresh_funnel()
        await self.refresh_daily(today, zone)

    async def refresh_funnel(self) -> int:
        """Recompute the funnel rows of debtors touched since the last refresh; return how many."""
        last_message, _ = await self._watermark("funnel_message")
        last_agreement, _ = await self._watermark("funnel_agreement")
        last_payment, _ = await self._watermark("funnel_payment")
        _, last_verified = await self._watermark("funnel_verified")
        tops = await self._one(
            """
            SELECT (SELECT max(id) FROM message), (SELECT max(id) FROM agreement),
                   (SELECT max(id) FROM payment),
                   (SELECT max(verified_at) FROM contact WHERE debtor_id IS NOT NULL)
            """
        )
        top_message, top_agreement, top_payment = (int(v or 0) for v in tops[:3])
        top_verified = tops[3]
        if (top_message, top_agreement, top_payment) == (
            last_message,
            last_agreement,
            last_payment,
        ) and top_verified == last_verified:
            return 0
        verified_filter = "verified_at IS NOT NULL"
        params: dict[str, Any] = {
            "m0": last_message,
            "m1": top_message,
            "a0": last_agreement,
            "a1": top_agreement,
            "p0": last_payment,
            "p1": top_payment,
            "o1": OFFER_PATTERNS[0],
            "o2": OFFER_PATTERNS[1],
        }
        if last_verified is not None:
            verified_filter += " AND verified_at > :v0"
            params["v0"] = last_verified
        dirty = f"""
            SELECT c.debtor_id FROM message m JOIN conversation c ON c.id = m.conversation_id
            WHERE m.id > :m0 AND m.id <= :m1 AND c.debtor_id IS NOT NULL
            UNION SELECT debtor_id FROM agreement WHERE id > :a0 AND id <= :a1
            UNION SELECT a.debtor_id FROM payment p JOIN agreement a ON a.id = p.agreement_id
                  WHERE p.id > :p0 AND p.id <= :p1
            UNION SELECT debtor_id FROM contact WHERE debtor_id IS NOT NULL AND {verified_filter}
        """
        if last_message == last_agreement == last_payment == 0 and last_verified is None:
            dirty = "SELECT id AS debtor_id FROM debtor"
        upsert = ", ".join(f"{s}_at = excluded.{s}_at" for s in STAGES)
        touched = await self._one(f"SELECT count(DISTINCT debtor_id) FROM ({dirty}) d", **params)
        await self.conn.execute(
            text(
                f"""
                WITH dirty AS ({dirty}),
                msg AS (
                    SELECT c.debtor_id,
                        min(CASE WHEN m.direction = 'out' THEN m.created_at END) AS contacted,
                        min(CASE WHEN m.direction = 'in' AND m.author = 'debtor'
                                 THEN m.created_at END) AS engaged,
                        min(CASE WHEN m.direction = 'out'
                                  AND (m.payload LIKE :o1 OR m.payload LIKE :o2)
                                 THEN m.created_at END) AS offered
                    FROM message m JOIN conversation c ON c.id = m.conversation_id
                    WHERE c.debtor_id IN (SELECT debtor_id FROM dirty)
                    GROUP BY c.debtor_id
                ),
                ver AS (
                    SELECT debtor_id, min(verified_at) AS verified FROM contact
                    WHERE debtor_id IN (SELECT debtor_id FROM dirty) GROUP BY debtor_id
                ),
                agr AS (
                    SELECT debtor_id, min(created_at) AS agreed FROM agreement
                    WHERE debtor_id IN (SELECT debtor_id FROM dirty) GROUP BY debtor_id
                ),
                pay AS (
                    SELECT a.debtor_id, min(p.paid_at) AS paid
                    FROM payment p JOIN agreement a ON a.id = p.agreement_id
                    WHERE a.debtor_id IN (SELECT debtor_id FROM dirty) AND NOT p.flagged
                    GROUP BY a.debtor_id
                )
                INSERT INTO report_funnel (debtor_id, {", ".join(f"{s}_at" for s in STAGES)})
                SELECT d.debtor_id, msg.contacted, msg.engaged, ver.verified, msg.offered,
                       agr.agreed, pay.paid
                FROM (SELECT DISTINCT debtor_id FROM dirty) d
                LEFT JOIN msg ON msg.debtor_id = d.debtor_id
                LEFT JOIN ver ON ver.debtor_id = d.debtor_id
                LEFT JOIN agr ON agr.debtor_id = d.debtor_id
                LEFT JOIN pay ON pay.debtor_id = d.debtor_id
                WHERE msg.contacted IS NOT NULL OR ver.verified IS NOT NULL
                   OR agr.agreed IS NOT NULL OR pay.paid IS NOT NULL
                ON CONFLICT (debtor_id) DO UPDATE SET {upsert}
                """
            ),
            params,
        )
        await self._set_watermark("funnel_message", top_message)
        await self._set_watermark("funnel_agreement", top_agreement)
        await self._set_watermark("funnel_payment", top_payment)
        await self._set_watermark("funnel_verified", 0, top_verified)
        return int(touched[0])

    async def refresh_daily(self, today: date, zone: ZoneInfo) -> None:
        """Move settled days (older than SETTLE_DAYS) of messages into `report_daily`."""
        last = await self._watermark_day("daily")
        settled_end = today - timedelta(days=SETTLE_DAYS + 1)
        if last is not None and last >= settled_end:
            return
        if last is None:
            first = (await self._one("SELECT min(created_at) FROM message"))[0]
            if first is None:
                return
            first_at = first if isinstance(first, datetime) else datetime.fromisoformat(first)
            first_at = first_at if first_at.tzinfo else first_at.replace(tzinfo=UTC)
            start = first_at.astimezone(zone).date()
        else:
            start = last + timedelta(days=1)
        if start > settled_end:
            return
        period = Period(start, settled_end, zone)
        day = self._local_day("created_at", period)
        day_value = f"CAST({day} AS DATE)" if self.dialect == "postgresql" else day
        await self.conn.execute(
            text("DELETE FROM report_daily WHERE day >= :start AND day <= :end"),
            {"start": self._day(start), "end": self._day(settled_end)},
        )
        await self.conn.execute(
            text(
                f"""
                INSERT INTO report_daily (day, channel, messages_out, messages_failed, messages_in)
                SELECT {day_value}, channel,
                       sum(CASE WHEN direction = 'out' THEN 1 ELSE 0 END),
                       sum(CASE WHEN direction = 'out' AND delivery_status = 'failed'
                                THEN 1 ELSE 0 END),
                       sum(CASE WHEN direction = 'in' THEN 1 ELSE 0 END)
                FROM message WHERE created_at >= :since AND created_at < :until
                GROUP BY {day}, channel
                """
            ),
            {"since": self._ts(period.since), "until": self._ts(period.until)},
        )
        await self._set_watermark("daily", settled_end.toordinal())


# --------------------------------------------------------------------------------- ranking


@dataclass(frozen=True, slots=True)
class RankingFilters:
    status: str | None = None  # a debt status the debtor has (open, negotiating, …)
    min_days_late: int | None = None
    max_days_late: int | None = None
    state: str | None = None  # UF
    channel: str | None = None  # has a contact on this channel


@dataclass(frozen=True, slots=True)
class RankedDebtor:
    debtor_id: int
    name: str
    state: str | None
    owed_cents: int
    days_late: int
    engagement: int
    broken_promises: int


@dataclass(frozen=True, slots=True)
class RankingWeights:
    """The policy's `[ranking]` numbers, as plain values for SQL."""

    amount_weight: float
    days_late_weight: float
    engagement_weight: float
    broken_promises_weight: float
    amount_cap_cents: int
    days_late_cap: int
    engagement_cap: int
    engagement_days: int
    broken_promises_cap: int


def _share(expression: str, cap: int) -> str:
    return (
        f"(CASE WHEN ({expression}) >= {cap} THEN 1.0 WHEN ({expression}) <= 0 THEN 0.0"
        f" ELSE ({expression}) * 1.0 / {cap} END)"
    )


async def ranked_debtors(
    conn: Executor,
    dialect: str,
    weights: RankingWeights,
    today: date,
    *,
    filters: RankingFilters | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[RankedDebtor]:
    """Debtors with something open, highest priority first (the `dialogs.ranking` formula)."""
    filters = filters or RankingFilters()
    statuses = ", ".join(f"'{s}'" for s in DEBT_OPEN_STATUSES)
    since = datetime.combine(today - timedelta(days=weights.engagement_days), time(0), UTC)
    if dialect == "postgresql":
        days_late = "GREATEST(CAST(:today AS DATE) - min(d.due_date), 0)"
        since_value: Any = since
        today_value: Any = today
    else:
        days_late = "max(CAST(julianday(:today) - julianday(min(d.due_date)) AS INTEGER), 0)"
        since_value = since.replace(tzinfo=None).isoformat(sep=" ")
        today_value = today.isoformat()
    conditions = ["1 = 1"]
    params: dict[str, Any] = {
        "today": today_value,
        "since": since_value,
        "limit": limit,
        "offset": offset,
    }
    if filters.status is not None:
        conditions.append(
            "EXISTS (SELECT 1 FROM debt s WHERE s.debtor_id = r.debtor_id AND s.status = :status)"
        )
        params["status"] = filters.status
    if filters.min_days_late is not None:
        conditions.append("r.days_late >= :min_days")
        params["min_days"] = filters.min_days_late
    if filters.max_days_late is not None:
        conditions.append("r.days_late <= :max_days")
        params["max_days"] = filters.max_days_late
    if filters.state is not None:
        conditions.append("r.state = :state")
        params["state"] = filters.state.upper()
    if filters.channel is not None:
        conditions.append(
            "EXISTS (SELECT 1 FROM contact k WHERE k.debtor_id = r.debtor_id"
            " AND k.channel = :channel)"
        )
        params["channel"] = filters.channel
    score = " + ".join(
        (
            f"{weights.amount_weight} * {_share('r.owed', weights.amount_cap_cents)}",
            f"{weights.days_late_weight} * {_share('r.days_late', weights.days_late_cap)}",
            f"{weights.engagement_weight} * {_share('r.engagement', weights.engagement_cap)}",
            f"{weights.broken_promises_weight} * {_share('r.broken', weights.broken_promises_cap)}",
        )
    )
    rows = _rows(
        await conn.execute(
            text(
                f"""
                WITH owing AS (
                    SELECT d.debtor_id, sum(d.principal_cents - d.paid_cents) AS owed,
                           {days_late} AS days_late
                    FROM debt d WHERE d.status IN ({statuses}) GROUP BY d.debtor_id
                ),
                r AS (
                    SELECT o.debtor_id, o.owed, o.days_late, b.name, b.state,
                        (SELECT count(*) FROM message m JOIN conversation c
                            ON c.id = m.conversation_id
                         WHERE c.debtor_id = o.debtor_id AND m.direction = 'in'
                           AND m.author = 'debtor' AND m.created_at >= :since) AS engagement,
                        (SELECT count(*) FROM agreement a
                         WHERE a.debtor_id = o.debtor_id AND a.status = 'broken') AS broken
                    FROM owing o JOIN debtor b ON b.id = o.debtor_id
                    WHERE b.erased_at IS NULL
                )
                SELECT r.debtor_id, r.name, r.state, r.owed, r.days_late, r.engagement, r.broken
                FROM r WHERE {" AND ".join(conditions)}
                ORDER BY {score} DESC, r.debtor_id
                LIMIT :limit OFFSET :offset
                """
            ),
            params,
        )
    )
    return [
        RankedDebtor(
            int(r[0]),
            str(r[1]),
            None if r[2] is None else str(r[2]),
            int(r[3]),
            int(r[4]),
            int(r[5]),
            int(r[6]),
        )
        for r in rows
    ]


__all__: Sequence[str] = (
    "STAGES",
    "BrokenPromises",
    "ChannelMessages",
    "CohortDebtor",
    "DayAmount",
    "EscalationReason",
    "Funnel",
    "OptOuts",
    "Period",
    "PlanSize",
    "Portfolio",
    "RankedDebtor",
    "RankingFilters",
    "RankingWeights",
    "ReportQueries",
    "ranked_debtors",
)
