"""Small builders shared by the storage tests."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, date, datetime

from sqlalchemy import make_url
from sqlalchemy.dialects import sqlite

from storage.database import Database
from storage.prepared import Prepared
from storage.repositories.debtors import NewDebt, NewDebtor
from storage.rows import ConversationRow, NewInstallment

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def new_conversation(
    db: Database, address: str = "1001", channel: str = "telegram"
) -> ConversationRow:
    async with db.transaction() as tx:
        return await tx.conversations.create(channel, address, state="start", now=NOW)


async def new_debtor(
    db: Database, external_id: str = "D1", cpf: str = "52998224725", phone: str = "+5511987654321"
) -> int:
    async with db.transaction() as tx:
        upserted = await tx.debtors.upsert(
            NewDebtor(
                external_id=external_id,
                name="MARIA DA SILVA",
                cpf=cpf,
                birth_date=date(1980, 5, 17),
                phone=phone,
                state="SP",
            ),
            now=NOW,
        )
        return upserted.id


async def new_debt(db: Database, debtor_id: int, contract: str = "C-1", cents: int = 123456) -> int:
    async with db.transaction() as tx:
        upserted = await tx.debtors.upsert_debt(
            NewDebt(
                debtor_id=debtor_id,
                contract=contract,
                description="Cartão",
                principal_cents=cents,
                due_date=date(2026, 1, 5),
            ),
            now=NOW,
        )
        return upserted.id


async def make_agreement(db: Database) -> int:
    """A debtor's 3x PIX agreement over one debt of R$ 1.234,56; its id."""
    debtor_id = await new_debtor(db)
    debt_id = await new_debt(db, debtor_id)
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        return (
            await tx.agreements.create(
                debtor_id,
                conv.id,
                [debt_id],
                [NewInstallment(n, 41152, date(2026, 3 + n, 10)) for n in (1, 2, 3)],
                payment_channel="pix",
                total_cents=123456,
                discount_cents=0,
                now=NOW,
            )
        ).id


def explain_sqlite(sqlite_url: str, statement: Prepared, *, plan: bool = False) -> list[str]:
    """What SQLite would do for `statement` in the file at `sqlite_url`: its program's opcodes
    (`EXPLAIN`), or with `plan` the query plan's steps (`EXPLAIN QUERY PLAN`)."""
    sql = statement.compiled(sqlite.dialect()).sql
    path = make_url(sqlite_url).database
    assert path is not None
    explain = "EXPLAIN QUERY PLAN" if plan else "EXPLAIN"
    with closing(sqlite3.connect(path)) as connection:
        steps = connection.execute(f"{explain} {sql}", [None] * sql.count("?")).fetchall()
    return [str(step[-1] if plan else step[1]) for step in steps]
