"""Assemble a period's report from the storage queries (and the A/B split from the policy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dialogs.experiments import choose_variant, variants_of
from dialogs.negotiation.policy import Policy
from storage.database import Database
from storage.reports import (
    BrokenPromises,
    ChannelMessages,
    CohortDebtor,
    DayAmount,
    EscalationReason,
    Funnel,
    OptOuts,
    Period,
    PlanSize,
    Portfolio,
    ReportQueries,
)


@dataclass(frozen=True, slots=True)
class VariantResult:
    experiment: str  # the base message id
    variant: str  # the message id this group saw
    debtors: int
    engaged: int
    paid: int
    recovered_cents: int


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    portfolio: Portfolio
    funnel: Funnel
    recovered_by_day: list[DayAmount]
    plan_sizes: list[PlanSize]
    broken: BrokenPromises
    escalations: list[EscalationReason]
    messages: list[ChannelMessages]
    opt_outs: list[OptOuts]
    variants: list[VariantResult]

    @property
    def recovered_cents(self) -> int:
        return sum(day.cents for day in self.recovered_by_day)

    @property
    def recovery_rate_percent(self) -> Decimal:
        """Recovered in the period as a share of the portfolio's principal."""
        if not self.portfolio.amount_cents:
            return Decimal("0.00")
        rate = Decimal(self.recovered_cents * 100) / Decimal(self.portfolio.amount_cents)
        return rate.quantize(Decimal("0.01"))


def split_by_variant(policy: Policy, cohort: list[CohortDebtor]) -> list[VariantResult]:
    """Engagement and recovery per variant of each experiment in the policy."""
    results: list[VariantResult] = []
    for experiment in sorted(policy.messages.ab_variants):
        groups: dict[str, list[CohortDebtor]] = {v: [] for v in variants_of(policy, experiment)}
        for debtor in cohort:
            groups[choose_variant(policy, experiment, debtor.debtor_id)].append(debtor)
        for variant, members in groups.items():
            results.append(
                VariantResult(
                    experiment,
                    variant,
                    len(members),
                    sum(1 for d in members if d.engaged),
                    sum(1 for d in members if d.paid),
                    sum(d.recovered_cents for d in members),
                )
            )
    return results


async def refresh(db: Database, today: date, policy: Policy) -> None:
    """Bring the pre-aggregated report tables up to date (incremental)."""
    async with db.transaction() as tx:
        await ReportQueries(tx.connection, tx.dialect).refresh(today, policy.contact.zone)


async def build_report(
    db: Database, policy: Policy, start: date, end: date, today: date, *, fresh: bool = True
) -> Report:
    """The report for local days [start, end]; `fresh` refreshes the summaries first."""
    period = Period(start, end, policy.contact.zone)
    if fresh:
        await refresh(db, today, policy)
    async with db.transaction(write=False) as tx:
        q = ReportQueries(tx.connection, tx.dialect)
        return Report(
            period=period,
            portfolio=await q.portfolio(period),
            funnel=await q.funnel(period),
            recovered_by_day=await q.recovered_by_day(period),
            plan_sizes=await q.plan_sizes(period),
            broken=await q.broken_promises(period, today),
            escalations=await q.escalations(period),
            messages=await q.messages(period),
            opt_outs=await q.opt_outs(period),
            variants=split_by_variant(policy, await q.cohort(period)),
        )
