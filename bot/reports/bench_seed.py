"""Seed a large synthetic portfolio on PostgreSQL quickly (INSERT ... SELECT generate_series).

    python -m bot.reports.bench_seed postgresql+asyncpg://… 1000000 10000000

For the report benchmark only: debtors, debts, contacts, conversations, messages spread over
the last year, agreements, installments and payments for a tenth of the debtors. Expects a
freshly migrated, empty database.
"""

from __future__ import annotations

import asyncio
import sys
import time

from sqlalchemy import text

from storage.database import Database

STATEMENTS = (
    """INSERT INTO debtor (id, external_id, name, cpf, state, created_at, updated_at)
       SELECT g, 'B' || g, 'Devedor ' || g, lpad(g::text, 11, '0'),
              (ARRAY['SP','RJ','MG','BA','PR'])[1 + g % 5],
              CAST(:t0 AS TIMESTAMPTZ) - (g % 365) * interval '1 day', CAST(:t0 AS TIMESTAMPTZ)
       FROM generate_series(1, :debts) g""",
    """INSERT INTO debt (id, debtor_id, contract, description, principal_cents, due_date, status,
                         paid_cents, created_at, updated_at)
       SELECT g, g, 'K' || g, '', 10000 + (g::bigint * 7919) % 500000,
              DATE '2026-11-25' - (g % 400),
              (ARRAY['open','open','open','agreement','paid'])[1 + g % 5], 0,
              CAST(:t0 AS TIMESTAMPTZ) - (g % 365) * interval '1 day', CAST(:t0 AS TIMESTAMPTZ)
       FROM generate_series(1, :debts) g""",
    """INSERT INTO contact (id, debtor_id, channel, address, verified_at, failed_attempts,
                           opted_out_at, created_at)
       SELECT g, g, (ARRAY['telegram','whatsapp','webchat'])[1 + g % 3], 'a' || g,
              CASE WHEN g % 3 = 0
                   THEN CAST(:t0 AS TIMESTAMPTZ) - (g % 365) * interval '1 day' END,
              0,
              CASE WHEN g % 50 = 0
                   THEN CAST(:t0 AS TIMESTAMPTZ) - (g % 300) * interval '1 day' END,
              CAST(:t0 AS TIMESTAMPTZ)
       FROM generate_series(1, :debts) g""",
    """INSERT INTO conversation (id, channel, address, contact_id, debtor_id, state, context,
                                mode, version, created_at, updated_at)
       SELECT g, (ARRAY['telegram','whatsapp','webchat'])[1 + g % 3], 'a' || g, g, g,
              'balance', '{}', 'bot', 0, CAST(:t0 AS TIMESTAMPTZ), CAST(:t0 AS TIMESTAMPTZ)
       FROM generate_series(1, :debts) g""",
    """INSERT INTO message (conversation_id, direction, author, text, payload, channel,
                           delivery_status, created_at)
       SELECT 1 + g % :debts, CASE WHEN g % 3 = 0 THEN 'in' ELSE 'out' END,
              CASE WHEN g % 3 = 0 THEN 'debtor' ELSE 'bot' END, '',
              CASE WHEN g % 17 = 0 THEN '{"buttons":[{"id":"plan:2","title":"2x"}]}' END,
              (ARRAY['telegram','whatsapp','webchat'])[1 + (1 + g % :debts) % 3],
              CASE WHEN g % 41 = 0 THEN 'failed' ELSE 'delivered' END,
              CAST(:t0 AS TIMESTAMPTZ) - ((g * 7) % (365 * 24 * 60)) * interval '1 minute'
       FROM generate_series(1, :messages) g""",
    """INSERT INTO agreement (id, debtor_id, conversation_id, status, payment_channel,
                             total_cents, discount_cents, created_at)
       SELECT g, g * 10, g * 10, (ARRAY['active','completed','broken'])[1 + g % 3], 'pix',
              20000 + g % 100000, 0, CAST(:t0 AS TIMESTAMPTZ) - (g % 365) * interval '1 day'
       FROM generate_series(1, :debts / 10) g""",
    """INSERT INTO installment (agreement_id, number, amount_cents, due_date, status, txid,
                               paid_cents)
       SELECT a, n, 10000, DATE '2026-12-01', 'pending',
              'Q' || lpad(a::text, 8, '0') || 'N' || n, 0
       FROM generate_series(1, :debts / 10) a, generate_series(1, 3) n WHERE n <= 1 + a % 3""",
    """INSERT INTO payment (agreement_id, amount_cents, paid_at, source, external_id, flagged)
       SELECT g, 10000, CAST(:t0 AS TIMESTAMPTZ) - (g % 365) * interval '1 day',
              'webhook', 'P' || g, false
       FROM generate_series(1, :debts / 10) g WHERE g % 2 = 0""",
    """INSERT INTO escalation (conversation_id, reason, summary, priority, status, created_at,
                              claimed_at, closed_at)
       SELECT g * 20, (ARRAY['human','not_understood','dispute'])[1 + g % 3], '', 0, 'closed',
              CAST(:t0 AS TIMESTAMPTZ) - (g % 365) * interval '1 day',
              CAST(:t0 AS TIMESTAMPTZ) - (g % 365) * interval '1 day' + interval '12 minutes',
              CAST(:t0 AS TIMESTAMPTZ) - (g % 365) * interval '1 day' + interval '2 hours'
       FROM generate_series(1, :debts / 20) g""",
)


async def seed(url: str, debts: int, messages: int) -> None:
    from datetime import UTC, datetime

    db = Database(url)
    t0 = datetime(2026, 11, 25, 12, tzinfo=UTC)
    try:
        async with db.transaction() as tx:
            for statement in STATEMENTS:
                await tx.connection.execute(
                    text(statement), {"t0": t0, "debts": debts, "messages": messages}
                )
        async with db.engine.connect() as conn:
            raw = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await raw.execute(text("VACUUM ANALYZE"))
    finally:
        await db.dispose()


def main() -> None:
    url, debts, messages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    started = time.perf_counter()
    asyncio.run(seed(url, debts, messages))
    print(f"seeded {debts} debts, {messages} messages in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
