"""The schema itself refuses duplicates and dangling references, whoever writes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from storage import tables
from storage.database import Database
from tests.storage.helpers import NOW, new_conversation, new_debt, new_debtor


async def insert_fails(db: Database, table: object, **values: object) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as tx:
            await tx.connection.execute(insert(table).values(**values))  # type: ignore[arg-type]


async def test_debtor_external_id_is_unique(db: Database) -> None:
    await new_debtor(db, external_id="D1")
    await insert_fails(
        db,
        tables.debtor,
        external_id="D1",
        name="X",
        cpf="11144477735",
        created_at=NOW,
        updated_at=NOW,
    )


async def test_contract_is_unique_per_debtor_but_not_across_debtors(db: Database) -> None:
    one = await new_debtor(db, external_id="D1")
    two = await new_debtor(db, external_id="D2", cpf="11144477735")
    await new_debt(db, one, "C-1")
    await new_debt(db, two, "C-1")
    await insert_fails(
        db, tables.debt, debtor_id=one, contract="C-1", principal_cents=1, due_date=date(2026, 1, 1)
    )


async def test_channel_message_id_is_unique_per_channel(db: Database) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        await tx.messages.add_inbound(conv.id, "telegram", "9", "a")
    await insert_fails(
        db,
        tables.message,
        conversation_id=conv.id,
        direction="in",
        author="debtor",
        channel="telegram",
        channel_message_id="9",
    )


async def test_idempotency_keys_and_txids_are_unique(db: Database) -> None:
    conv = await new_conversation(db)
    outbox = {"conversation_id": conv.id, "channel": "telegram", "address": "1", "payload": "{}"}
    async with db.transaction() as tx:
        await tx.connection.execute(insert(tables.outbox).values(idempotency_key="k", **outbox))
        await tx.jobs.schedule("reminder", NOW, "job-key")
    await insert_fails(db, tables.outbox, idempotency_key="k", **outbox)
    await insert_fails(db, tables.scheduled_job, kind="x", run_at=NOW, key="job-key")


async def test_unknown_statuses_and_dangling_references_are_refused(db: Database) -> None:
    conv = await new_conversation(db)
    await insert_fails(
        db,
        tables.message,
        conversation_id=conv.id + 999,
        direction="in",
        author="debtor",
        channel="telegram",
    )
    await insert_fails(
        db, tables.conversation, channel="telegram", address="x", state="s", mode="sleeping"
    )
    await insert_fails(db, tables.conversation, channel="sms", address="x", state="s")
