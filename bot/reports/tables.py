"""The report as named tables: one shape for the dashboard, CSV and JSON exports.

Money columns end in `_cents` in code; tables show reais as `Decimal` (exact, two places),
so a spreadsheet gets 1234.56 (or 1234,56 with the decimal-comma option), never a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.reports.build import Report

Cell = str | int | Decimal | date | None


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


def reais(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def minutes(seconds: int | None) -> Decimal | None:
    return None if seconds is None else (Decimal(seconds) / 60).quantize(Decimal("0.1"))


def report_tables(report: Report) -> dict[str, Table]:
    p, f, b = report.portfolio, report.funnel, report.broken
    tables = [
        Table(
            "summary",
            ("figure", "value"),
            [
                ("period_start", report.period.start),
                ("period_end", report.period.end),
                ("debts", p.debts),
                ("amount", reais(p.amount_cents)),
                ("open_debts", p.open_debts),
                ("open_amount", reais(p.open_cents)),
                ("recovered", reais(report.recovered_cents)),
                ("recovery_rate_percent", report.recovery_rate_percent),
                ("broken_agreements", b.agreements),
                ("broken_agreements_amount", reais(b.agreement_cents)),
                ("broken_promises", b.promises),
            ],
        ),
        Table("funnel", ("stage", "debtors"), [(name, count) for name, count in f.stages()]),
        Table(
            "recovered_by_day",
            ("day", "recovered"),
            [(d.day, reais(d.cents)) for d in report.recovered_by_day],
        ),
        Table(
            "agreements_by_plan",
            ("installments", "agreements", "total"),
            [(s.installments, s.agreements, reais(s.total_cents)) for s in report.plan_sizes],
        ),
        Table(
            "escalations",
            (
                "reason",
                "opened",
                "claimed",
                "resolved",
                "avg_minutes_to_claim",
                "avg_minutes_to_resolve",
            ),
            [
                (
                    e.reason,
                    e.opened,
                    e.claimed,
                    e.resolved,
                    minutes(e.avg_claim_seconds),
                    minutes(e.avg_resolve_seconds),
                )
                for e in report.escalations
            ],
        ),
        Table(
            "messages",
            ("channel", "sent", "failed", "received"),
            [(m.channel, m.sent, m.failed, m.received) for m in report.messages],
        ),
        Table("opt_outs", ("channel", "opt_outs"), [(o.channel, o.count) for o in report.opt_outs]),
        Table(
            "variants",
            ("experiment", "variant", "debtors", "engaged", "paid", "recovered"),
            [
                (v.experiment, v.variant, v.debtors, v.engaged, v.paid, reais(v.recovered_cents))
                for v in report.variants
            ],
        ),
    ]
    return {table.name: table for table in tables}
