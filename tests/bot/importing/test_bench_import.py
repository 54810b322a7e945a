"""Benchmark: import a generated debt file into SQLite (target: 100,000 rows in under 60 s).

Runs once as a plain test under the default `--benchmark-disable`, with a small file; for the
real figure run

    QUITA_BENCH_IMPORT_ROWS=100000 .venv/bin/pytest tests/bot/importing/test_bench_import.py \
        --benchmark-enable -p no:cacheprovider
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, date, datetime
from pathlib import Path

from pytest_benchmark.fixture import BenchmarkFixture

from bot.importing import ImportReport, import_debts
from tests.bot.importing.samples import HEADER, cpf_for

ROWS = int(os.environ.get("QUITA_BENCH_IMPORT_ROWS", "5000"))
TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def write_big_file(path: Path, rows: int) -> Path:
    """A creditor-style export: `;`, Windows-1252, R$ amounts, dd/mm/yyyy; two debts a debtor."""
    lines = [";".join(HEADER)]
    for index in range(rows):
        person = index // 2
        reais, cents = 50 + index % 5000, index % 100
        lines.append(
            ";".join(
                (
                    f"CLI-{person:07d}",
                    f"Cliente Número {person}",
                    cpf_for(200_000_000 + person),
                    f"{1 + person % 28:02d}/{1 + person % 12:02d}/{1950 + person % 50}",
                    f"(11) 9{person % 10_000:04d}-{(person // 7) % 10_000:04d}",
                    f"cliente{person}@example.com.br",
                    ("SP", "RJ", "MG", "BA", "RS")[person % 5],
                    f"CT-{index:08d}",
                    f"Fatura em atraso nº {index}",
                    f"R$ {reais // 1000}.{reais % 1000:03d},{cents:02d}"
                    if reais >= 1000
                    else f"R$ {reais},{cents:02d}",
                    f"{1 + index % 28:02d}/{1 + index % 12:02d}/2026",
                )
            )
        )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def test_import_generated_file_into_sqlite(
    benchmark: BenchmarkFixture, sqlite_url: str, tmp_path: Path
) -> None:
    path = write_big_file(tmp_path / "big.csv", ROWS)

    def run() -> ImportReport:
        return asyncio.run(import_debts(sqlite_url, path, today=TODAY, now=NOW))

    report: ImportReport = benchmark.pedantic(run, rounds=1, iterations=1)  # type: ignore[no-untyped-call]

    assert not report.errors
    assert report.counts.debts.created == ROWS
    assert report.counts.debtors.created == (ROWS + 1) // 2
