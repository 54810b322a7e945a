"""Prepared statements: the driver-level path must behave exactly like SQLAlchemy's.

Same values back (timezone-aware datetimes, dates, JSON text), same transaction (a rollback
undoes a prepared write, even when it is the transaction's first statement), same errors.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError, StatementError

from storage import tables
from storage.database import Database
from storage.prepared import Prepared, bound
from storage.types import NaiveDatetimeError
from tests.storage.helpers import NOW, new_conversation, new_debt, new_debtor

message = tables.message
_ADD = Prepared(
    insert(message)
    .values(
        bound(
            "conversation_id",
            "direction",
            "author",
            "text",
            "channel",
            "delivery_status",
            "created_at",
        )
    )
    .returning(message.c.id, message.c.created_at)
)
_BY_ID = Prepared(select(message).where(message.c.id == bindparam("k_id")))


def _message(conversation_id: int, text: str = "olá", at: datetime = NOW) -> dict[str, object]:
    return {
        "conversation_id": conversation_id,
        "direction": "in",
        "author": "debtor",
        "text": text,
        "channel": "telegram",
        "delivery_status": "delivered",
        "created_at": at,
    }


async def test_rows_read_through_the_driver_equal_sqlalchemys(db: Database) -> None:
    conversation = await new_conversation(db)
    debtor_id = await new_debtor(db)
    await new_debt(db, debtor_id)
    async with db.transaction() as tx:
        added = await tx.connection.fetch(_ADD, _message(conversation.id))
        fast = await tx.connection.fetch(_BY_ID, {"k_id": added[0]["id"]})
        slow = (
            (await tx.connection.execute(select(message).where(message.c.id == added[0]["id"])))
            .mappings()
            .one()
        )
        snapshot = await tx.debtors.snapshot(debtor_id)
        by_cpf = await tx.debtors.by_cpf("52998224725")
    assert fast == [dict(slow)]
    assert fast[0]["created_at"] == NOW
    assert fast[0]["created_at"].tzinfo is not None
    assert snapshot is not None
    assert snapshot.birth_date == date(1980, 5, 17)
    assert snapshot.debts[0].principal_cents == 123456
    assert by_cpf is not None
    assert by_cpf.id == debtor_id


async def test_a_prepared_write_first_in_its_transaction_is_rolled_back(db: Database) -> None:
    conversation = await new_conversation(db)

    async def write_then_fail() -> None:
        async with db.transaction() as tx:
            await tx.connection.fetch(_ADD, _message(conversation.id, "never stored"))
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        await write_then_fail()
    async with db.transaction(write=False) as tx:
        assert await tx.messages.transcript(conversation.id) == []


async def test_driver_errors_surface_as_sqlalchemy_errors(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as tx:
            await tx.connection.fetch(_ADD, _message(conversation_id=987654))  # no such chat


async def test_naive_datetimes_are_refused_before_reaching_the_driver(db: Database) -> None:
    conversation = await new_conversation(db)
    with pytest.raises(StatementError, match="timezone-aware") as raised:
        async with db.transaction() as tx:
            await tx.connection.fetch(_ADD, _message(conversation.id, at=datetime(2026, 3, 10)))
    assert isinstance(raised.value.orig, NaiveDatetimeError)


def test_a_column_left_to_its_python_default_is_refused(db: Database) -> None:
    forgetful = Prepared(insert(message).values(bound("conversation_id", "text")))
    with pytest.raises(TypeError, match="delivery_status"):
        forgetful.compiled(db.engine.dialect)


async def test_a_statement_is_compiled_once_per_dialect(db: Database) -> None:
    conversation = await new_conversation(db)
    later = NOW + timedelta(hours=3)
    async with db.transaction() as tx:
        first = _ADD.compiled(tx.connection.dialect)
        await tx.connection.fetch(_ADD, _message(conversation.id, at=later))
        assert _ADD.compiled(tx.connection.dialect) is first
        saved = await tx.conversations.save(dataclasses.replace(conversation, state="verify"))
    assert saved.version == conversation.version + 1  # the statement's own `version + 1`
    assert saved.state == "verify"
    assert saved.updated_at.tzinfo is UTC


@pytest.mark.parametrize(
    "stored",
    [
        "2026-03-10 12:00:00.000000",  # as SQLAlchemy writes it
        "2026-03-10 12:00:00",
        "2026-03-10T12:00:00.000000",
        "2026-03-10 14:00:00.000000+02:00",  # written by hand, with an offset
        "2026-03-10 09:00:00-03:00",
    ],
)
async def test_sqlite_datetime_text_reads_as_the_same_utc_instant(
    sqlite_db: Database, stored: str
) -> None:
    conversation = await new_conversation(sqlite_db)
    async with sqlite_db.transaction() as tx:
        added = await tx.connection.fetch(_ADD, _message(conversation.id))
        message_id = added[0]["id"]
        await tx.connection.execute(
            text("UPDATE message SET created_at = :at WHERE id = :id"),
            {"at": stored, "id": message_id},
        )
        fast = await tx.connection.fetch(_BY_ID, {"k_id": message_id})
        slow = (await tx.connection.execute(select(message.c.created_at))).scalar_one()
    for read in (fast[0]["created_at"], slow):
        assert read == NOW
        assert read.tzinfo is UTC


def test_arguments_come_in_the_drivers_order_with_the_statements_own_values(
    db: Database,
) -> None:
    bump = Prepared(
        update(message)
        .where(message.c.id == bindparam("k_id"))
        .values(text=bindparam("k_text"), delivery_status="sent", created_at=bindparam("k_at"))
    )
    compiled = bump.compiled(db.engine.dialect)
    given = {"k_id": 7, "k_text": "oi", "k_at": NOW}
    arguments = compiled.arguments(given)
    assert len(arguments) == len(compiled.names)
    by_name = dict(zip(compiled.names, arguments, strict=True))
    assert (by_name["k_id"], by_name["k_text"]) == (7, "oi")
    assert "sent" in arguments  # the statement's own value
    own = next(name for name in compiled.names if name in compiled.fixed)
    assert "delivered" in compiled.arguments({**given, own: "delivered"})  # a given value wins
    with pytest.raises(KeyError, match="k_text"):
        compiled.arguments({"k_id": 7, "k_at": NOW})


def test_a_statement_with_one_or_no_parameters_gets_a_tuple(db: Database) -> None:
    one = Prepared(select(message.c.id).where(message.c.id == bindparam("k_id")))
    none = Prepared(select(message.c.id))
    assert one.compiled(db.engine.dialect).arguments({"k_id": 3}) == (3,)
    assert none.compiled(db.engine.dialect).arguments({}) == ()
