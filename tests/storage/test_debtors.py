"""Debtors and debts: idempotent upserts, lookups, and the snapshot the dialog reads."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy import update

from dialogs.flow.snapshots import (
    AgreementSnapshot,
    DebtorSnapshot,
    DebtSnapshot,
    InstallmentSnapshot,
)
from storage import tables
from storage.database import Database
from storage.repositories.debtor_snapshot import snapshot_from_json
from storage.repositories.debtors import NewDebt, NewDebtor, UpsertOutcome
from storage.rows import NewInstallment
from tests.storage.helpers import NOW, new_debt, new_debtor

LATER = datetime(2026, 3, 11, tzinfo=UTC)


async def test_upserting_the_same_debtor_and_debt_twice_changes_nothing(db: Database) -> None:
    person = NewDebtor(external_id="D9", name="JOÃO", cpf="52998224725", state="RJ")
    async with db.transaction() as tx:
        created = await tx.debtors.upsert(person, now=NOW)
        debt = NewDebt(created.id, "C-9", "Empréstimo", 50000, date(2026, 2, 1))
        debt_created = await tx.debtors.upsert_debt(debt, now=NOW)
    async with db.transaction() as tx:
        same = await tx.debtors.upsert(person, now=LATER)
        debt_same = await tx.debtors.upsert_debt(debt, now=LATER)
        debt_changed = await tx.debtors.upsert_debt(replace(debt, principal_cents=55000), now=LATER)
        stored = await tx.debtors.get(created.id)
        debts = await tx.debtors.debts(created.id)
    assert (created.outcome, debt_created.outcome) == (UpsertOutcome.CREATED,) * 2
    assert (same.id, same.outcome) == (created.id, UpsertOutcome.UNCHANGED)
    assert (debt_same.id, debt_same.outcome) == (debt_created.id, UpsertOutcome.UNCHANGED)
    assert (debt_changed.id, debt_changed.outcome) == (debt_created.id, UpsertOutcome.UPDATED)
    assert stored is not None
    assert stored.updated_at == NOW
    assert [d.principal_cents for d in debts] == [55000]


async def test_lookups_by_cpf_external_id_and_any_phone_spelling(db: Database) -> None:
    debtor_id = await new_debtor(db, phone="+5511987654321")
    async with db.transaction(write=False) as tx:
        by_cpf = await tx.debtors.by_cpf("52998224725")
        by_external = await tx.debtors.by_external_id("D1")
        by_phone = await tx.debtors.by_phone(["+551187654321", "+5511987654321"])
        assert await tx.debtors.by_cpf("11144477735") is None
        assert await tx.debtors.by_phone([]) is None
    assert by_cpf is not None
    assert by_external is not None
    assert by_phone is not None
    assert {by_cpf.id, by_external.id, by_phone.id} == {debtor_id}
    assert by_cpf.birth_date == date(1980, 5, 17)


async def test_snapshot_shows_unpaid_debts_and_live_agreements(db: Database) -> None:
    debtor_id = await new_debtor(db)
    card = await new_debt(db, debtor_id, "CARD", 100000)
    loan = await new_debt(db, debtor_id, "LOAN", 30000)
    paid = await new_debt(db, debtor_id, "OLD", 500)
    async with db.transaction() as tx:
        await tx.debtors.set_debt_status([paid], "paid")
        agreement_id = (
            await tx.agreements.create(
                debtor_id,
                None,
                [card],
                [
                    NewInstallment(1, 50000, date(2026, 4, 1)),
                    NewInstallment(2, 50000, date(2026, 5, 1)),
                ],
                payment_channel="pix",
                total_cents=100000,
                now=NOW,
            )
        ).id
        cancelled = (
            await tx.agreements.create(
                debtor_id, None, [loan], [], payment_channel="boleto", total_cents=30000
            )
        ).id
        await tx.agreements.set_status(cancelled, "cancelled")
        snapshot = await tx.debtors.snapshot(debtor_id)
        assert await tx.debtors.snapshot(debtor_id + 1000) is None
    assert snapshot is not None
    assert (snapshot.debtor_id, snapshot.cpf, snapshot.state) == (debtor_id, "52998224725", "SP")
    assert snapshot.first_name == "Maria"
    assert [(d.contract, d.status, d.principal_cents) for d in snapshot.debts] == [
        ("CARD", "agreement", 100000),
        ("LOAN", "agreement", 30000),
    ]
    [agreement] = snapshot.agreements
    assert (agreement.agreement_id, agreement.payment_channel, agreement.total_cents) == (
        agreement_id,
        "pix",
        100000,
    )
    assert [(i.number, i.amount_cents, i.status) for i in agreement.installments] == [
        (1, 50000, "pending"),
        (2, 50000, "pending"),
    ]
    # Dates survive the trip (PostgreSQL nests debts and installments as JSON).
    assert [i.due_date for i in agreement.installments] == [date(2026, 4, 1), date(2026, 5, 1)]
    assert [d.due_date for d in snapshot.debts] == [date(2026, 1, 5), date(2026, 1, 5)]
    assert snapshot.birth_date == date(1980, 5, 17)


async def test_a_snapshot_lists_debts_by_due_date_and_installments_by_number(
    db: Database,
) -> None:
    """Stored in another order than the dialog shows them: the snapshot orders them."""
    debtor_id = await new_debtor(db)
    async with db.transaction() as tx:
        for contract, due in (("A-LATE", date(2026, 3, 1)), ("B-EARLY", date(2026, 1, 1))):
            await tx.debtors.upsert_debt(
                NewDebt(debtor_id, contract, "Cartão", 10000, due), now=NOW
            )
        second = (await tx.agreements.create(
            debtor_id, None, [], [NewInstallment(1, 100, date(2026, 6, 1))],
            payment_channel="pix", total_cents=100, now=NOW,
        )).id  # fmt: skip
        backwards = [NewInstallment(n, 100 * n, date(2026, 4, n)) for n in (3, 1, 2)]
        first = (
            await tx.agreements.create(
                debtor_id, None, [], backwards, payment_channel="boleto", total_cents=600, now=NOW
            )
        ).id
        snapshot = await tx.debtors.snapshot(debtor_id)
    assert snapshot is not None
    assert [d.contract for d in snapshot.debts] == ["B-EARLY", "A-LATE"]
    assert [a.agreement_id for a in snapshot.agreements] == sorted([second, first])
    [installments] = [a.installments for a in snapshot.agreements if a.agreement_id == first]
    assert [(i.number, i.amount_cents) for i in installments] == [(1, 100), (2, 200), (3, 300)]


async def test_a_snapshot_by_cpf_is_the_oldest_unerased_debtor_with_it(db: Database) -> None:
    older = await new_debtor(db, "D1", cpf="52998224725", phone="+5511987654321")
    newer = await new_debtor(db, "D2", cpf="52998224725", phone="+5511912345678")
    debt = await new_debt(db, newer, contract="N-1", cents=5000)
    async with db.transaction() as tx:
        first = await tx.debtors.snapshot_by_cpf("52998224725")
        unknown = await tx.debtors.snapshot_by_cpf("11144477735")
        erase = update(tables.debtor).where(tables.debtor.c.id == older).values(erased_at=NOW)
        await tx.connection.execute(erase)
        after_erasure = await tx.debtors.snapshot_by_cpf("52998224725")
    assert first is not None
    assert (first.debtor_id, first.debts) == (older, ())
    assert unknown is None
    assert after_erasure is not None
    assert after_erasure.debtor_id == newer
    assert [(d.debt_id, d.principal_cents) for d in after_erasure.debts] == [(debt, 5000)]


def test_a_snapshot_read_from_json_puts_every_value_in_its_field() -> None:
    """The snapshots are built positionally: every field here has a value of its own, so
    two swapped fields would not go unnoticed."""
    raw = json.dumps(
        {
            "id": 1,
            "name": "Maria Silva",
            "cpf": "52998224725",
            "birth_date": "1980-05-17",
            "state": "SP",
            "debts": [
                {
                    "id": 2,
                    "contract": "C-1",
                    "description": "Cartão",
                    "due_date": "2026-01-05",
                    "principal_cents": 3,
                    "paid_cents": 4,
                    "status": "open",
                }
            ],
            "agreements": [
                {
                    "id": 5,
                    "payment_channel": "pix",
                    "status": "active",
                    "total_cents": 6,
                    "installments": [
                        {
                            "number": 7,
                            "amount_cents": 8,
                            "due_date": "2026-02-05",
                            "status": "pending",
                            "paid_cents": 9,
                        }
                    ],
                }
            ],
        }
    )

    assert snapshot_from_json(raw) == DebtorSnapshot(
        debtor_id=1,
        name="Maria Silva",
        cpf="52998224725",
        birth_date=date(1980, 5, 17),
        state="SP",
        debts=(
            DebtSnapshot(
                debt_id=2,
                contract="C-1",
                description="Cartão",
                due_date=date(2026, 1, 5),
                principal_cents=3,
                paid_cents=4,
                status="open",
            ),
        ),
        agreements=(
            AgreementSnapshot(
                agreement_id=5,
                payment_channel="pix",
                status="active",
                total_cents=6,
                installments=(
                    InstallmentSnapshot(
                        number=7,
                        amount_cents=8,
                        due_date=date(2026, 2, 5),
                        status="pending",
                        paid_cents=9,
                    ),
                ),
            ),
        ),
    )
