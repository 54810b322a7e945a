"""Agreements: unique installment txids, settle-once installments, idempotent payments."""

from __future__ import annotations

from datetime import date, timedelta

from storage.database import Database
from storage.repositories.agreements import installment_txid
from storage.rows import NewInstallment
from tests.storage.helpers import NOW, make_agreement, new_conversation, new_debt, new_debtor


async def test_installments_get_unique_pix_txids(db: Database) -> None:
    agreement_id = await make_agreement(db)
    async with db.transaction(write=False) as tx:
        agreement = await tx.agreements.get(agreement_id)
        found = await tx.agreements.installment_by_txid(installment_txid(agreement_id, 2))
    assert agreement is not None
    assert agreement.status == "active"
    txids = [i.txid for i in agreement.installments]
    assert txids == [f"Q{agreement_id:08d}N00{n}" for n in (1, 2, 3)]
    assert all(t.isalnum() and len(t) <= 25 for t in txids)
    assert found is not None
    assert found.number == 2


async def test_a_payment_is_recorded_once_and_settles_its_installment_once(db: Database) -> None:
    agreement_id = await make_agreement(db)
    async with db.transaction() as tx:
        first = await tx.agreements.installment_by_txid(installment_txid(agreement_id, 1))
        assert first is not None
        paid_at = NOW + timedelta(days=20)
        payment = await tx.agreements.record_payment(
            agreement_id, 41152, paid_at, "webhook", "e2e-123", installment_id=first.id
        )
        repeat = await tx.agreements.record_payment(
            agreement_id, 41152, paid_at, "webhook", "e2e-123", installment_id=first.id
        )
        settled = await tx.agreements.mark_installment_paid(first.id, 41152, paid_at)
        settled_again = await tx.agreements.mark_installment_paid(first.id, 41152, paid_at)
        payments = await tx.agreements.payments(agreement_id)
        [updated, *_] = await tx.agreements.installments(agreement_id)
    assert payment is not None
    assert repeat is None
    assert (settled, settled_again) == (True, False)
    assert [(p.external_id, p.amount_cents, p.flagged) for p in payments] == [
        ("e2e-123", 41152, False)
    ]
    assert (updated.status, updated.paid_cents, updated.paid_at) == ("paid", 41152, paid_at)


async def test_completing_an_agreement_stamps_when(db: Database) -> None:
    agreement_id = await make_agreement(db)
    async with db.transaction() as tx:
        await tx.agreements.set_status(agreement_id, "completed", now=NOW)
        agreement = await tx.agreements.get(agreement_id)
        [listed] = await tx.agreements.for_debtor(agreement.debtor_id if agreement else 0)
    assert agreement is not None
    assert (agreement.status, agreement.completed_at) == (
        "completed",
        NOW,
    )
    assert listed.id == agreement_id
    assert len(listed.debt_ids) == 1


async def test_an_agreement_is_stored_and_read_whole_with_its_debts_and_installments(
    db: Database,
) -> None:
    debtor_id = await new_debtor(db)
    second = await new_debt(db, debtor_id, contract="C-2")
    first = await new_debt(db, debtor_id, contract="C-1")
    conv = await new_conversation(db)
    plan = [NewInstallment(n, 20000 + n, date(2026, 3 + n, 10)) for n in (3, 1, 2)]
    async with db.transaction() as tx:
        with_plan = (
            await tx.agreements.create(
                debtor_id, conv.id, [second, first], plan, payment_channel="pix", total_cents=60006
            )
        ).id
        bare = (
            await tx.agreements.create(
                debtor_id, None, [first], [], payment_channel="boleto", total_cents=100
            )
        ).id
    async with db.transaction(write=False) as tx:
        whole = await tx.agreements.get(with_plan)
        without_installments = await tx.agreements.get(bare)
        missing = await tx.agreements.get(bare + 1000)
        debts = await tx.debtors.debts(debtor_id, include_paid=True)
    assert {(d.id, d.status) for d in debts} == {(first, "agreement"), (second, "agreement")}
    assert whole is not None
    assert whole.debt_ids == tuple(sorted((first, second)))
    assert [(i.number, i.amount_cents, i.due_date) for i in whole.installments] == [
        (1, 20001, date(2026, 4, 10)),
        (2, 20002, date(2026, 5, 10)),
        (3, 20003, date(2026, 6, 10)),
    ]
    assert all(i.agreement_id == with_plan and i.paid_at is None for i in whole.installments)
    assert whole.created_at.tzinfo is not None
    assert without_installments is not None
    assert (without_installments.debt_ids, without_installments.installments) == ((first,), ())
    assert without_installments.conversation_id is None
    assert missing is None


async def test_creating_answers_with_the_agreement_exactly_as_it_reads_back(db: Database) -> None:
    debtor_id = await new_debtor(db)
    second = await new_debt(db, debtor_id, contract="C-2")
    first = await new_debt(db, debtor_id, contract="C-1")
    conv = await new_conversation(db)
    plan = [NewInstallment(n, 20000 + n, date(2026, 3 + n, 10)) for n in (3, 1, 2)]
    async with db.transaction() as tx:
        with_plan = await tx.agreements.create(
            debtor_id, conv.id, [second, first], plan, payment_channel="pix", total_cents=60006
        )
        bare = await tx.agreements.create(
            debtor_id, None, [first], [], payment_channel="boleto", total_cents=100, now=NOW
        )
    async with db.transaction(write=False) as tx:
        assert await tx.agreements.get(with_plan.id) == with_plan
        assert await tx.agreements.get(bare.id) == bare
    assert [i.txid for i in with_plan.installments] == [
        installment_txid(with_plan.id, n) for n in (1, 2, 3)
    ]


async def test_txids_past_eight_digits_of_agreement_read_as_python_writes_them(
    postgres_db: Database,
) -> None:
    """PostgreSQL writes the txids in SQL, in the statement that creates the agreement."""
    from sqlalchemy import text

    debtor_id = await new_debtor(postgres_db)
    debt_id = await new_debt(postgres_db, debtor_id)
    async with postgres_db.transaction() as tx:
        await tx.connection.execute(
            text("SELECT setval(pg_get_serial_sequence('agreement', 'id'), 123456788)")
        )
    plan = [NewInstallment(n, 100, date(2026, 1, 10) + timedelta(days=31 * n)) for n in (1, 12)]
    async with postgres_db.transaction() as tx:
        created = await tx.agreements.create(
            debtor_id, None, [debt_id], plan, payment_channel="pix", total_cents=200
        )

    assert created.id == 123456789
    assert [i.txid for i in created.installments] == ["Q123456789N001", "Q123456789N012"]
    assert [i.txid for i in created.installments] == [
        installment_txid(created.id, n) for n in (1, 12)
    ]
