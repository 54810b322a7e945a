"""Planning a day's jobs is set-based: a million debts in well under a minute.

Default size is small so the suite stays fast; set QUITA_CADENCE_BENCH_DEBTS=1000000 to
measure the real thing (half the debtors in an agreement with an installment due within ten
days, half never contacted and imported that day: the worst case for outreach).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

from pytest_benchmark.fixture import BenchmarkFixture
from sqlalchemy import String, cast, func, literal, select, text

from bot.cadence.planner import PlanSummary, plan_day
from dialogs.negotiation.policy import default_policy
from storage import Database, tables
from storage.types import UTCDateTime
from tests.conftest import run_in_fresh_loop

DEBTS = int(os.environ.get("QUITA_CADENCE_BENCH_DEBTS", "2000"))
DAY = date(2026, 11, 25)  # Wednesday
IMPORTED = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
LIMIT_SECONDS = 60.0


async def seed(url: str, count: int) -> None:
    db = Database(url)
    at = literal(IMPORTED, UTCDateTime)
    try:
        async with db.transaction() as tx:
            run = tx.connection.execute
            base = select(literal(1).label("i")).cte("n", recursive=True)
            n = base.union_all(select(base.c.i + 1).where(base.c.i < count))
            i = n.c.i
            debtor, debt = tables.debtor, tables.debt
            agreement, installment = tables.agreement, tables.installment
            state = func.substr(literal("SPRJAMBA"), (i % 4) * 2 + 1, 2)
            await run(
                debtor.insert().from_select(
                    ["external_id", "name", "cpf", "state", "created_at", "updated_at"],
                    select(literal("B") + cast(i, String), literal("Bench"),
                           literal("52998224725"), state, at, at),
                ),
            )  # fmt: skip
            await run(
                debt.insert().from_select(
                    ["debtor_id", "contract", "description", "principal_cents", "due_date",
                     "status", "paid_cents", "created_at", "updated_at"],
                    select(debtor.c.id, literal("C"), literal(""), literal(10_000),
                           literal(date(2026, 10, 1)), literal("open"), literal(0), at, at),
                ),
            )  # fmt: skip
            await run(
                agreement.insert().from_select(
                    ["debtor_id", "status", "payment_channel", "total_cents", "discount_cents",
                     "created_at"],
                    select(debtor.c.id, literal("active"), literal("pix"), literal(10_000),
                           literal(0), at).where(debtor.c.id % 2 == 0),
                ),
            )  # fmt: skip
            await run(debt.update().where(debt.c.debtor_id % 2 == 0).values(status="agreement"))
            for spread in range(10):
                await run(
                    installment.insert().from_select(
                        ["agreement_id", "number", "amount_cents", "due_date", "status", "txid",
                         "paid_cents"],
                        select(agreement.c.id, literal(1), literal(10_000),
                               literal(DAY + timedelta(days=spread)), literal("pending"),
                               literal("TX") + cast(agreement.c.id, String),
                               literal(0)).where(agreement.c.id % 10 == spread),
                    ),
                )  # fmt: skip
        async with db.transaction() as tx:
            # Fresh statistics, as autovacuum would have them after an import.
            await tx.connection.execute(text("ANALYZE"))
    finally:
        await db.dispose()


async def plan(url: str) -> PlanSummary:
    db = Database(url)
    try:
        async with db.transaction() as tx:
            return await plan_day(tx, default_policy(), DAY, IMPORTED)
    finally:
        await db.dispose()


def test_planning_a_day_is_set_based(benchmark: BenchmarkFixture, database_url: str) -> None:
    run_in_fresh_loop(lambda: seed(database_url, DEBTS))
    started = time.perf_counter()
    summary: PlanSummary = benchmark.pedantic(  # type: ignore[no-untyped-call]
        lambda: run_in_fresh_loop(lambda: plan(database_url)), rounds=1
    )
    elapsed = time.perf_counter() - started
    assert summary.outreach_jobs == DEBTS - DEBTS // 2  # odd debtors: never negotiated
    # D-3 for installments due Saturday the 28th and D0 for those due today, 1/10 each.
    assert summary.installment_jobs > 0
    assert summary.installment_jobs <= 2 * (DEBTS // 2) // 10 + 2
    assert elapsed < LIMIT_SECONDS
    benchmark.extra_info.update(
        debts=DEBTS, jobs=summary.jobs, statements=summary.statements, seconds=elapsed
    )
