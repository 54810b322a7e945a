"""`quita import` as an operator runs it: messages, exit status, and what ends up stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from bot.commands.importer import import_command
from storage import Database, tables
from tests.bot.importing.samples import HEADER, debt_row, write_csv


async def invoke(database_url: str, *args: str) -> Result:
    """Run the command in a worker thread: it starts its own event loop, as in a terminal."""
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke, import_command, list(args), env={"QUITA_DATABASE_URL": database_url}
    )


async def stored_debts(database_url: str) -> list[tuple[str, int]]:
    db = Database(database_url)
    try:
        async with db.transaction(write=False) as tx:
            query = select(tables.debt.c.contract, tables.debt.c.principal_cents).order_by(
                tables.debt.c.id
            )
            return [(c, p) for c, p in (await tx.connection.execute(query)).all()]
    finally:
        await db.dispose()


async def count_debtors(database_url: str) -> int:
    db = Database(database_url)
    try:
        async with db.transaction(write=False) as tx:
            query = select(func.count()).select_from(tables.debtor)
            return int((await tx.connection.execute(query)).scalar_one())
    finally:
        await db.dispose()


async def test_semicolon_windows_1252_file_imports_and_is_idempotent(
    database_url: str, tmp_path: Path
) -> None:
    rows = [
        debt_row(1, name="Conceição", amount="R$ 1.234,56", due_date="05/10/2026"),
        debt_row(2, amount="R$ 10,00"),
    ]
    path = write_csv(tmp_path / "débitos.csv", rows, delimiter=";", encoding="cp1252")

    first = await invoke(database_url, str(path))
    second = await invoke(database_url, str(path))

    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == (
        "imported 2 of 2 line(s): debtors 2 created, 0 updated, 0 unchanged; "
        "debts 2 created, 0 updated, 0 unchanged"
    )
    assert second.exit_code == 0, second.output
    assert "debtors 0 created, 0 updated, 2 unchanged" in second.stdout
    assert "debts 0 created, 0 updated, 2 unchanged" in second.stdout
    assert await stored_debts(database_url) == [("C1", 123456), ("C2", 1000)]


async def test_bad_cpf_on_line_7_exits_2_naming_it_and_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    rows = [debt_row(i) for i in range(1, 9)]
    rows[5]["cpf"] = "529.982.247-26"
    path = write_csv(tmp_path / "d.csv", rows)

    result = await invoke(database_url, str(path))

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "line 7, column cpf: is not a valid CPF (check digits do not match)"
    ]
    assert "nothing imported" in result.stdout
    assert "529" not in result.output  # the CPF itself is never echoed
    assert await stored_debts(database_url) == []


async def test_changed_amount_is_reported_as_an_update(database_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [debt_row(1), debt_row(2)])
    assert (await invoke(database_url, str(path))).exit_code == 0
    changed = write_csv(tmp_path / "d2.csv", [debt_row(1), debt_row(2, amount="1300.00")])

    result = await invoke(database_url, str(changed))

    assert result.exit_code == 0, result.output
    assert "debts 0 created, 1 updated, 1 unchanged" in result.stdout
    assert await stored_debts(database_url) == [("C1", 123456), ("C2", 130000)]


async def test_skip_invalid_and_dry_run(database_url: str, tmp_path: Path) -> None:
    rows = [debt_row(1), debt_row(2, due_date="2026-02-30"), debt_row(3)]
    path = write_csv(tmp_path / "d.csv", rows)
    rejects = tmp_path / "rejects.csv"

    dry = await invoke(database_url, "--dry-run", "--skip-invalid", str(rejects), str(path))
    assert dry.exit_code == 0, dry.output
    assert "would import 2 of 3 line(s)" in dry.stdout
    assert "dry run, nothing written" in dry.stdout
    assert not rejects.exists()
    assert await count_debtors(database_url) == 0

    real = await invoke(database_url, "--skip-invalid", str(rejects), str(path))
    assert real.exit_code == 0, real.output
    assert "1 line(s) rejected (see" in real.stdout
    assert real.stderr.splitlines() == ["line 3, column due_date: no such date: 2026-02-30"]
    assert (
        rejects.read_text(encoding="utf-8")
        .splitlines()[1]
        .endswith(',"line 3, column due_date: no such date: 2026-02-30"')
    )
    assert await stored_debts(database_url) == [("C1", 123456), ("C3", 123456)]


async def test_broken_file_gets_messages_not_a_traceback(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text(
        ",".join(HEADER) + "\nD1,only,three\n\n\x00garbage\n" + ",".join(debt_row(4).values()),
        encoding="utf-8",
    )
    result = await invoke(database_url, str(path))
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith("line 2: has 3 fields")
    assert result.stderr.splitlines()[1] == "line 3: empty line"
    assert result.stderr.splitlines()[2].startswith("line 4: has 1 fields")
    assert await count_debtors(database_url) == 0


async def test_file_without_the_required_columns(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    result = await invoke(database_url, str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: line 1: missing required column(s): debtor_id, name")
