"""Every report figure for a small portfolio whose answers were worked out by hand.

The portfolio (São Paulo time, UTC-3; period 2026-11-01..2026-11-20; "today" 2026-11-25):

- Ana (SP): R$ 1.000,00 due 2026-09-01, open. Contacted 11-02 on webchat, replied, verified,
  saw the plan list, made an agreement of 3 installments (R$ 900,00) that broke; promised to
  pay by 11-08 and did not; escalated "human" 11-04 (claimed after 10 min, closed after 1 h).
- Bruno (RJ): R$ 500,00 due 2026-10-15, under agreement. Contacted 11-03 on Telegram (the first
  message failed), replied, verified, saw the summary, agreed on 2 × R$ 250,00, paid the first
  on 11-10 (kept his promise for 11-10); escalated "human" 11-06, claimed after 30 min.
- Carla (SP): R$ 2.000,00 due 2026-11-10, paid in full on 11-05 (agreement from October);
  contacted in October only (not in the cohort), opted out on WhatsApp on 11-05.
- Davi (MG): R$ 300,00 due 2026-08-01, open, imported 11-21 (after the period) but contacted
  at 23:30 local on 11-20 (02:30 UTC on 11-21: inside the period); opted out at 22:00 local
  on 11-20; escalated "not_understood" on 11-20.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from dialogs.negotiation.policy import default_policy
from dialogs.ranking import RankingSignals, priority
from storage import tables
from storage.database import Database
from storage.reports import (
    BrokenPromises,
    ChannelMessages,
    CohortDebtor,
    EscalationReason,
    Funnel,
    OptOuts,
    Period,
    PlanSize,
    Portfolio,
    RankingFilters,
    ReportQueries,
    ranked_debtors,
)
from storage.types import dump_json

SP = ZoneInfo("America/Sao_Paulo")
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 20), SP)
TODAY = date(2026, 11, 25)
PLAN_BUTTONS = {"buttons": [{"id": "plan:2", "title": "2x"}, {"id": "plan:3", "title": "3x"}]}
SUMMARY_BUTTONS = {"buttons": [{"id": "confirm", "title": "Ok"}, {"id": "change", "title": "X"}]}
ANA, BRUNO, CARLA, DAVI = 1, 2, 3, 4


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _debtor(i: int, name: str, state: str, created: datetime) -> dict[str, Any]:
    return {
        "id": i,
        "external_id": f"D{i}",
        "name": name,
        "cpf": f"{i:011d}",
        "state": state,
        "created_at": created,
        "updated_at": created,
    }


def _debt(
    i: int, principal: int, due: date, status: str, paid: int, created: datetime
) -> dict[str, Any]:
    return {
        "id": i,
        "debtor_id": i,
        "contract": f"C{i}",
        "principal_cents": principal,
        "due_date": due,
        "status": status,
        "paid_cents": paid,
        "created_at": created,
        "updated_at": created,
    }


def _message(
    conversation: int,
    channel: str,
    direction: str,
    when: datetime,
    status: str = "delivered",
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "conversation_id": conversation,
        "direction": direction,
        "author": "bot" if direction == "out" else "debtor",
        "text": "…",
        "payload": dump_json(payload) if payload is not None else None,
        "channel": channel,
        "delivery_status": status,
        "created_at": when,
    }


def _agreement(i: int, debtor: int, status: str, total: int, created: datetime) -> dict[str, Any]:
    return {
        "id": i,
        "debtor_id": debtor,
        "conversation_id": debtor,
        "status": status,
        "payment_channel": "pix",
        "total_cents": total,
        "created_at": created,
    }


def _installments(agreement: int, amounts: list[int]) -> list[dict[str, Any]]:
    return [
        {
            "agreement_id": agreement,
            "number": n,
            "amount_cents": amount,
            "due_date": date(2026, 12, n),
            "txid": f"Q{agreement:08d}N{n:03d}",
        }
        for n, amount in enumerate(amounts, start=1)
    ]


def _rows(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    """Same keys in every row (executemany), missing ones None."""
    keys = {key for row in rows for key in row}
    return [{key: row.get(key) for key in keys} for row in rows]


async def seed_portfolio(db: Database) -> None:
    """Write the portfolio described in the module docstring."""
    october = at(10, 1, 12)
    async with db.transaction() as tx:
        run = tx.connection.execute
        await run(
            insert(tables.debtor),
            [
                _debtor(ANA, "Ana", "SP", october),
                _debtor(BRUNO, "Bruno", "RJ", october),
                _debtor(CARLA, "Carla", "SP", october),
                _debtor(DAVI, "Davi", "MG", at(11, 21, 12)),
            ],
        )
        await run(
            insert(tables.debt),
            [
                _debt(ANA, 100000, date(2026, 9, 1), "open", 0, october),
                _debt(BRUNO, 50000, date(2026, 10, 15), "agreement", 0, october),
                _debt(CARLA, 200000, date(2026, 11, 10), "paid", 200000, october),
                _debt(DAVI, 30000, date(2026, 8, 1), "open", 0, at(11, 21, 12)),
            ],
        )
        channels = {ANA: "webchat", BRUNO: "telegram", CARLA: "whatsapp", DAVI: "webchat"}
        await run(
            insert(tables.contact),
            _rows(
                {
                    "id": ANA,
                    "debtor_id": ANA,
                    "channel": "webchat",
                    "address": "a",
                    "verified_at": at(11, 2, 12, 4),
                },
                {
                    "id": BRUNO,
                    "debtor_id": BRUNO,
                    "channel": "telegram",
                    "address": "b",
                    "verified_at": at(11, 3, 12, 30),
                },
                {
                    "id": CARLA,
                    "debtor_id": CARLA,
                    "channel": "whatsapp",
                    "address": "c",
                    "verified_at": at(10, 20, 12, 9),
                    "opted_out_at": at(11, 5, 10),
                },
                {
                    "id": DAVI,
                    "debtor_id": DAVI,
                    "channel": "webchat",
                    "address": "d",
                    "opted_out_at": at(11, 21, 1),
                },
            ),
        )
        await run(
            insert(tables.conversation),
            [
                {
                    "id": i,
                    "channel": channels[i],
                    "address": "abcd"[i - 1],
                    "contact_id": i,
                    "debtor_id": i,
                    "state": "balance",
                }
                for i in (ANA, BRUNO, CARLA, DAVI)
            ],
        )
        await run(
            insert(tables.message),
            [
                _message(ANA, "webchat", "out", at(11, 2, 12)),
                _message(ANA, "webchat", "in", at(11, 2, 12, 5)),
                _message(ANA, "webchat", "out", at(11, 2, 12, 6), payload=PLAN_BUTTONS),
                _message(BRUNO, "telegram", "out", at(11, 3, 12), status="failed"),
                _message(BRUNO, "telegram", "out", at(11, 3, 12, 1), status="sent"),
                _message(BRUNO, "telegram", "in", at(11, 3, 13)),
                _message(BRUNO, "telegram", "out", at(11, 3, 13, 1), payload=SUMMARY_BUTTONS),
                _message(CARLA, "whatsapp", "out", at(10, 20, 12)),
                _message(CARLA, "whatsapp", "in", at(10, 20, 12, 10)),
                _message(CARLA, "whatsapp", "out", at(11, 1, 2)),  # 23:00 on 10-31 locally
                _message(DAVI, "webchat", "out", at(11, 21, 2, 30)),  # 23:30 on 11-20 locally
            ],
        )
        await run(
            insert(tables.agreement),
            [
                _agreement(1, BRUNO, "active", 50000, at(11, 3, 13, 5)),
                _agreement(2, CARLA, "completed", 200000, at(10, 20, 12, 20)),
                _agreement(3, ANA, "broken", 90000, at(11, 2, 12, 10)),
            ],
        )
        await run(
            insert(tables.installment),
            [
                *_installments(1, [25000, 25000]),
                *_installments(2, [200000]),
                *_installments(3, [30000, 30000, 30000]),
            ],
        )
        await run(
            insert(tables.payment),
            [
                {
                    "agreement_id": 1,
                    "amount_cents": 25000,
                    "paid_at": at(11, 10, 15),
                    "source": "webhook",
                    "external_id": "p1",
                },
                {
                    "agreement_id": 2,
                    "amount_cents": 200000,
                    "paid_at": at(11, 5, 12),
                    "source": "webhook",
                    "external_id": "p2",
                },
            ],
        )
        await run(
            insert(tables.audit_log),
            [
                {
                    "at": at(11, 2, 12, 20),
                    "actor": "debtor",
                    "action": "promise_to_pay",
                    "target": f"conversation:{ANA}",
                    "detail": dump_json({"due": "2026-11-08"}),
                },
                {
                    "at": at(11, 3, 13, 2),
                    "actor": "debtor",
                    "action": "promise_to_pay",
                    "target": f"conversation:{BRUNO}",
                    "detail": dump_json({"due": "2026-11-10"}),
                },
                {
                    "at": at(11, 20, 12),
                    "actor": "debtor",
                    "action": "promise_to_pay",
                    "target": f"conversation:{DAVI}",
                    "detail": dump_json({"due": "2026-11-30"}),
                },
            ],
        )
        await run(
            insert(tables.escalation),
            _rows(
                {
                    "conversation_id": ANA,
                    "reason": "human",
                    "status": "closed",
                    "created_at": at(11, 4, 12),
                    "claimed_at": at(11, 4, 12, 10),
                    "closed_at": at(11, 4, 13),
                },
                {
                    "conversation_id": BRUNO,
                    "reason": "human",
                    "status": "claimed",
                    "created_at": at(11, 6, 12),
                    "claimed_at": at(11, 6, 12, 30),
                },
                {
                    "conversation_id": DAVI,
                    "reason": "not_understood",
                    "status": "open",
                    "created_at": at(11, 20, 12),
                },
                {
                    "conversation_id": CARLA,
                    "reason": "dispute",
                    "status": "open",
                    "created_at": at(10, 21, 12),
                },
            ),
        )


async def _queries(db: Database, work: Any) -> Any:
    async with db.transaction() as tx:
        return await work(ReportQueries(tx.connection, tx.dialect))


async def test_every_figure_of_the_seeded_portfolio(db: Database) -> None:
    await seed_portfolio(db)

    async def figures(q: ReportQueries) -> dict[str, Any]:
        await q.refresh(TODAY, SP)
        return {
            "portfolio": await q.portfolio(PERIOD),
            "funnel": await q.funnel(PERIOD),
            "recovered": {d.day: d.cents for d in await q.recovered_by_day(PERIOD) if d.cents},
            "plans": await q.plan_sizes(PERIOD),
            "broken": await q.broken_promises(PERIOD, TODAY),
            "escalations": await q.escalations(PERIOD),
            "messages": await q.messages(PERIOD),
            "opt_outs": await q.opt_outs(PERIOD),
            "cohort": await q.cohort(PERIOD),
        }

    got = await _queries(db, figures)
    assert got["portfolio"] == Portfolio(
        debts=3, amount_cents=350000, open_debts=1, open_cents=100000
    )
    assert got["funnel"] == Funnel(contacted=3, engaged=2, verified=2, offered=2, agreed=2, paid=1)
    assert got["recovered"] == {date(2026, 11, 5): 200000, date(2026, 11, 10): 25000}
    assert got["plans"] == [PlanSize(2, 1, 50000), PlanSize(3, 1, 90000)]
    assert got["broken"] == BrokenPromises(agreements=1, agreement_cents=90000, promises=1)
    assert got["escalations"] == [
        EscalationReason("human", 2, 2, 1, avg_claim_seconds=1200, avg_resolve_seconds=3600),
        EscalationReason("not_understood", 1, 0, 0, None, None),
    ]
    assert got["messages"] == [
        ChannelMessages("telegram", sent=3, failed=1, received=1),
        ChannelMessages("webchat", sent=3, failed=0, received=1),
    ]
    assert got["opt_outs"] == [OptOuts("webchat", 1), OptOuts("whatsapp", 1)]
    assert got["cohort"] == [
        CohortDebtor(ANA, engaged=True, paid=False, recovered_cents=0),
        CohortDebtor(BRUNO, engaged=True, paid=True, recovered_cents=25000),
        CohortDebtor(DAVI, engaged=False, paid=False, recovered_cents=0),
    ]


async def test_recent_days_are_counted_live_and_agree_with_the_daily_summary(db: Database) -> None:
    await seed_portfolio(db)
    live = await _queries(db, lambda q: q.messages(PERIOD))
    await _queries(db, lambda q: q.refresh_daily(TODAY, SP))
    summarised = await _queries(db, lambda q: q.messages(PERIOD))
    assert live == summarised
    assert sum(c.sent for c in live) == 6


async def test_funnel_refresh_picks_up_only_what_changed(db: Database) -> None:
    await seed_portfolio(db)
    assert await _queries(db, lambda q: q.refresh_funnel()) == 4
    assert await _queries(db, lambda q: q.refresh_funnel()) == 0
    async with db.transaction() as tx:  # Davi writes back and pays
        await tx.connection.execute(
            insert(tables.message), [_message(DAVI, "webchat", "in", at(11, 21, 2, 40))]
        )
        await tx.connection.execute(
            insert(tables.agreement), [_agreement(4, DAVI, "active", 30000, at(11, 21, 2, 45))]
        )
        await tx.connection.execute(
            insert(tables.payment),
            [
                {
                    "agreement_id": 4,
                    "amount_cents": 30000,
                    "paid_at": at(11, 21, 2, 50),
                    "source": "webhook",
                    "external_id": "p3",
                }
            ],
        )
    assert await _queries(db, lambda q: q.refresh_funnel()) == 1
    funnel = await _queries(db, lambda q: q.funnel(PERIOD))
    assert funnel == Funnel(contacted=3, engaged=3, verified=2, offered=2, agreed=3, paid=2)


async def test_ranking_lists_open_debtors_by_the_policy_score(db: Database) -> None:
    await seed_portfolio(db)
    from bot.reports.ranking import weights_from_policy

    weights = weights_from_policy(default_policy())

    async def rank(filters: RankingFilters) -> list[int]:
        async with db.transaction(write=False) as tx:
            found = await ranked_debtors(tx.connection, tx.dialect, weights, TODAY, filters=filters)
        return [d.debtor_id for d in found]

    async with db.transaction(write=False) as tx:
        ranked = await ranked_debtors(tx.connection, tx.dialect, weights, TODAY)
    assert [
        (d.debtor_id, d.owed_cents, d.days_late, d.engagement, d.broken_promises) for d in ranked
    ] == [
        (ANA, 100000, 85, 1, 1),
        (DAVI, 30000, 116, 0, 0),
    ]
    ranking = default_policy().ranking
    scores = [
        priority(
            RankingSignals(d.owed_cents, d.days_late, d.engagement, d.broken_promises), ranking
        )
        for d in ranked
    ]
    assert scores == [Decimal("27.50"), Decimal("21.73")]
    assert await rank(RankingFilters(state="mg")) == [DAVI]
    assert await rank(RankingFilters(min_days_late=100)) == [DAVI]
    assert await rank(RankingFilters(channel="telegram")) == []
    assert await rank(RankingFilters(status="open", channel="webchat")) == [ANA, DAVI]
