"""`import_debts` against real SQLite and PostgreSQL: all or nothing, idempotent, upserting."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.demo import SAMPLE_DEBTS_CSV
from bot.importing import import_debts
from bot.payments.boleto import make_boleto
from storage import Database, tables
from tests.bot.importing.samples import HEADER, debt_row, write_csv

TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=1)


async def all_rows(db: Database, table: Any) -> list[dict[str, Any]]:
    async with db.transaction(write=False) as tx:
        result = await tx.connection.execute(select(table).order_by(table.c.id))
        return [dict(row) for row in result.mappings()]


async def count(db: Database, table: Any) -> int:
    async with db.transaction(write=False) as tx:
        return int(
            (await tx.connection.execute(select(func.count()).select_from(table))).scalar_one()
        )


async def test_semicolon_windows_1252_brazilian_amounts_are_stored_exactly(
    db: Database, tmp_path: Path
) -> None:
    rows = [
        debt_row(1, name="Conceição Araújo", amount="R$ 1.234,56", due_date="05/10/2026"),
        debt_row(2, amount="R$ 0,99", description="Tarifa – março", birth_date="01/02/1990"),
    ]
    path = write_csv(tmp_path / "debts.csv", rows, delimiter=";", encoding="cp1252")

    report = await import_debts(db, path, today=TODAY, now=NOW)

    assert report.written
    assert not report.errors
    debtors = await all_rows(db, tables.debtor)
    debts = await all_rows(db, tables.debt)
    assert [d["name"] for d in debtors] == ["Conceição Araújo", "Pessoa Número 2"]
    assert debtors[1]["birth_date"] == date(1990, 2, 1)
    assert [(d["principal_cents"], d["due_date"]) for d in debts] == [
        (123456, date(2026, 10, 5)),
        (99, date(2026, 10, 5)),
    ]
    assert debts[1]["description"] == "Tarifa – março"
    assert {d["status"] for d in debts} == {"open"}


async def test_phones_dates_and_cpf_are_stored_normalised(db: Database, tmp_path: Path) -> None:
    rows = [
        debt_row(1, phone="(11) 98765-4321", cpf="529.982.247-25", due_date="2026-10-05"),
        debt_row(2, phone="0xx21 3456-7890", due_date="05/11/2026", state="rj"),
        debt_row(3, phone="+55 (85) 8888-1234", email=""),
    ]
    await import_debts(db, write_csv(tmp_path / "d.csv", rows), today=TODAY, now=NOW)
    debtors = await all_rows(db, tables.debtor)
    assert [d["phone"] for d in debtors] == ["+5511987654321", "+552134567890", "+5585988881234"]
    assert debtors[0]["cpf"] == "52998224725"
    assert debtors[1]["state"] == "RJ"
    assert debtors[2]["email"] is None
    debts = await all_rows(db, tables.debt)
    assert [d["due_date"] for d in debts][:2] == [date(2026, 10, 5), date(2026, 11, 5)]


async def test_a_bad_line_means_nothing_is_written(db: Database, tmp_path: Path) -> None:
    rows = [debt_row(i) for i in range(1, 10)]
    rows[5]["cpf"] = "111.111.111-11"
    report = await import_debts(db, write_csv(tmp_path / "d.csv", rows), today=TODAY, now=NOW)
    assert report.refused
    assert not report.written
    assert [str(e) for e in report.errors] == [
        "line 7, column cpf: is not a valid CPF (check digits do not match)"
    ]
    assert await count(db, tables.debtor) == 0
    assert await count(db, tables.debt) == 0


async def test_importing_the_same_file_twice_changes_nothing(db: Database, tmp_path: Path) -> None:
    rows = [debt_row(1), debt_row(1, contract="C1-b"), debt_row(2)]
    path = write_csv(tmp_path / "d.csv", rows)
    first = await import_debts(db, path, today=TODAY, now=NOW)
    before = (await all_rows(db, tables.debtor), await all_rows(db, tables.debt))

    second = await import_debts(db, path, today=TODAY, now=LATER)

    assert (first.counts.debtors.created, first.counts.debts.created) == (2, 3)
    assert (second.counts.debtors.unchanged, second.counts.debts.unchanged) == (2, 3)
    assert second.counts.debtors.created + second.counts.debtors.updated == 0
    assert second.counts.debts.created + second.counts.debts.updated == 0
    assert (await all_rows(db, tables.debtor), await all_rows(db, tables.debt)) == before


async def test_a_changed_amount_updates_only_that_debt(db: Database, tmp_path: Path) -> None:
    rows = [debt_row(1), debt_row(2)]
    await import_debts(db, write_csv(tmp_path / "a.csv", rows), today=TODAY, now=NOW)
    rows[1]["amount"] = "2.000,00"
    changed = write_csv(tmp_path / "b.csv", rows, delimiter=";")

    report = await import_debts(db, changed, today=TODAY, now=LATER)

    assert report.counts.debts.updated == 1
    assert report.counts.debts.unchanged == 1
    assert report.counts.debtors.unchanged == 2
    debts = await all_rows(db, tables.debt)
    assert [d["principal_cents"] for d in debts] == [123456, 200000]
    assert [d["updated_at"] for d in debts] == [NOW, LATER]
    assert [d["created_at"] for d in debts] == [NOW, NOW]


async def test_changed_debtor_details_update_the_debtor(db: Database, tmp_path: Path) -> None:
    await import_debts(db, write_csv(tmp_path / "a.csv", [debt_row(1)]), today=TODAY, now=NOW)
    moved = [debt_row(1, phone="(21) 99999-0000", state="RJ")]
    report = await import_debts(db, write_csv(tmp_path / "b.csv", moved), today=TODAY, now=LATER)
    assert report.counts.debtors.updated == 1
    assert report.counts.debts.unchanged == 1
    [debtor] = await all_rows(db, tables.debtor)
    assert (debtor["phone"], debtor["state"], debtor["updated_at"]) == (
        "+5521999990000",
        "RJ",
        LATER,
    )


async def test_skip_invalid_imports_the_rest_and_writes_rejects(
    db: Database, tmp_path: Path
) -> None:
    rows = [debt_row(1), debt_row(2, cpf="123.456.789-00"), debt_row(3), debt_row(4, amount="")]
    path = write_csv(tmp_path / "d.csv", rows, delimiter=";", encoding="cp1252")
    rejects = tmp_path / "rejects.csv"

    report = await import_debts(db, path, today=TODAY, now=NOW, rejects_path=rejects)

    assert report.written
    assert report.counts.debts.created == 2
    assert [d["external_id"] for d in await all_rows(db, tables.debtor)] == ["D1", "D3"]
    with rejects.open(encoding="cp1252", newline="") as handle:
        lines = list(csv.reader(handle, delimiter=";"))
    assert lines[0] == [*HEADER, "error"]
    assert lines[1][:-1] == list(rows[1].values())  # the line as it was
    assert lines[1][-1] == "line 3, column cpf: is not a valid CPF (check digits do not match)"
    assert lines[2][0] == "D4"
    assert lines[2][-1] == "line 5, column amount: is empty"
    assert len(lines) == 3


async def test_dry_run_reports_real_counts_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    await import_debts(db, write_csv(tmp_path / "a.csv", [debt_row(1)]), today=TODAY, now=NOW)
    rows = [debt_row(1, amount="99,00"), debt_row(2)]
    report = await import_debts(
        db, write_csv(tmp_path / "b.csv", rows, delimiter=";"), today=TODAY, dry_run=True
    )
    assert not report.written
    assert (report.counts.debts.created, report.counts.debts.updated) == (1, 1)
    assert "dry run, nothing written" in report.summary()
    assert [d["principal_cents"] for d in await all_rows(db, tables.debt)] == [123456]
    assert await count(db, tables.debtor) == 1


async def test_telegram_id_links_a_contact_and_boleto_is_stored(
    db: Database, tmp_path: Path
) -> None:
    boleto = make_boleto("237", date(2026, 10, 5), 123456, "1" * 25)
    header = (*HEADER, "telegram_id", "boleto")
    rows = [debt_row(1, telegram_id="987654321", boleto=boleto.formatted_line), debt_row(2)]
    path = write_csv(tmp_path / "d.csv", rows, header=header)
    await import_debts(db, path, today=TODAY, now=NOW)
    second = await import_debts(db, path, today=TODAY, now=LATER)

    assert second.counts.telegram_contacts.unchanged == 1
    [contact] = await all_rows(db, tables.contact)
    debtors = await all_rows(db, tables.debtor)
    assert (contact["channel"], contact["address"]) == ("telegram", "987654321")
    assert contact["debtor_id"] == debtors[0]["id"]
    assert contact["verified_at"] is None  # a file does not prove who holds the account
    debts = await all_rows(db, tables.debt)
    assert [d["boleto_line"] for d in debts] == [boleto.line, None]


async def test_accepts_a_database_url_too(database_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [debt_row(1)])
    report = await import_debts(database_url, path, today=TODAY, now=NOW)
    assert report.counts.debts.created == 1
    db = Database(database_url)
    try:
        assert await count(db, tables.debt) == 1
    finally:
        await db.dispose()


async def test_demo_sample_file_is_valid_and_imports(db: Database) -> None:
    report = await import_debts(db, SAMPLE_DEBTS_CSV, today=TODAY, now=NOW)
    assert not report.errors
    assert report.counts.debtors.created == 9
    assert report.counts.debts.created == report.rows_valid == 10
    debts = await all_rows(db, tables.debt)
    assert sum(1 for d in debts if d["boleto_line"]) == 1
