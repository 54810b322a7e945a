"""`quita payments import` as an operator runs it: bank files validated line by line,
nothing written while a line is wrong, and the same file twice records each payment once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from click.testing import CliRunner, Result

from bot.commands.payments import payments_group
from storage import AgreementRow
from tests.bot.payments.lifecycle_support import Desk, desk

HEADER = "external_id;amount;paid_at;txid;agreement_id;installment;note"


async def invoke(database_url: str, *args: str) -> Result:
    """Run the command in a worker thread: it starts its own event loop, as in a terminal."""
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke,
        payments_group,
        ["import", *args],
        env={"QUITA_DATABASE_URL": database_url},
    )


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def money(cents: int) -> str:
    return f"R$ {cents // 100},{cents % 100:02d}"


async def payments(d: Desk, agreement: AgreementRow) -> list[tuple[str, int, bool]]:
    async with d.db.transaction(write=False) as tx:
        rows = await tx.agreements.payments(agreement.id)
    return [(p.external_id, p.amount_cents, p.flagged) for p in rows]


async def test_a_good_file_is_recorded_once_even_imported_twice(
    database_url: str, tmp_path: Path
) -> None:
    async with desk(database_url) as d:
        agreement = await d.negotiate(plan=3)
        one, two, _ = agreement.installments
        path = write(
            tmp_path / "extrato.csv",
            f"B-1;{money(one.amount_cents)};05/01/2025;{one.txid};;;",
            f"B-2;{two.amount_cents / 100:.2f};2025-01-06T10:00:00-03:00;;{agreement.id};2;",
            f"B-3;R$ 10,00;06/01/2025;;{agreement.id};3;pix sem valor",
        )

        first = await invoke(database_url, str(path))
        second = await invoke(database_url, str(path))

        assert first.exit_code == 0, first.output
        assert first.stdout.strip() == (
            "payments: 3 recorded (1 flagged for review), 0 already recorded, 0 rejected"
        )
        assert second.exit_code == 0, second.output
        assert second.stdout.strip() == (
            "payments: 0 recorded (0 flagged for review), 3 already recorded, 0 rejected"
        )
        assert await payments(d, agreement) == [
            ("B-1", one.amount_cents, False),
            ("B-2", two.amount_cents, False),
            ("B-3", 1_000, True),
        ]
        texts = await d.bot_texts(agreement.conversation_id or 0)
        assert sum("Recebemos o pagamento da parcela" in t for t in texts) == 2


async def test_a_bad_file_names_each_problem_and_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    async with desk(database_url) as d:
        agreement = await d.negotiate(plan=3)
        one = agreement.installments[0]
        path = write(
            tmp_path / "extrato.csv",
            f"B-1;{money(one.amount_cents)};05/01/2025;{one.txid};;;",
            f"B-2;dez reais;05/01/2025;{one.txid};;;",
            f"B-3;R$ 1,00;ontem;{one.txid};;;",
            f"B-1;R$ 1,00;05/01/2025;{one.txid};;;",
            "B-5;R$ 1,00;05/01/2025;Q99999999N001;;;",
            f"B-6;R$ 1,00;05/01/2025;;{agreement.id};9;",
            "B-7;R$ 1,00;05/01/2025;;;;",
        )

        refused = await invoke(database_url, str(path))
        dry = await invoke(database_url, "--dry-run", str(path))

        assert refused.exit_code == 2
        assert refused.stderr.splitlines() == [
            'line 3, column amount: not an amount in reais such as "418,80" or "418.80"',
            "line 4, column paid_at: not a time: use ISO 8601 with offset "
            "(2026-12-05T14:30:00-03:00) or a date (05/12/2026)",
            "line 5, column external_id: the same payment is on line 2",
            "line 6, column txid: no installment has this txid",
            f"line 7, column installment: agreement {agreement.id} has no such installment",
            "line 8, column agreement_id: required when there is no txid",
        ]
        assert refused.stdout.startswith("nothing imported: 6 error(s) in 6 of 7 line(s)")
        assert dry.exit_code == 2
        assert await payments(d, agreement) == []


async def test_skip_invalid_records_the_good_lines_and_writes_the_rejects(
    database_url: str, tmp_path: Path
) -> None:
    async with desk(database_url) as d:
        agreement = await d.negotiate(plan=3)
        one = agreement.installments[0]
        path = write(
            tmp_path / "extrato.csv",
            f"B-1;{money(one.amount_cents)};05/01/2025;{one.txid};;;",
            "B-2;R$ 1,00;05/01/2025;Q99999999N001;;;",
        )
        rejects = tmp_path / "rejeitados.csv"

        dry = await invoke(database_url, "--dry-run", "--skip-invalid", str(rejects), str(path))
        assert dry.exit_code == 0, dry.output
        assert dry.stdout.strip() == (
            "dry run: 1 payment(s) would be recorded, 0 already recorded, 1 rejected; "
            "nothing written"
        )
        assert await payments(d, agreement) == []

        result = await invoke(database_url, "--skip-invalid", str(rejects), str(path))

        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("payments: 1 recorded (0 flagged for review)")
        assert await payments(d, agreement) == [("B-1", one.amount_cents, False)]
        lines = rejects.read_text(encoding="utf-8").splitlines()
        assert lines == [
            HEADER + ";error",
            "B-2;R$ 1,00;05/01/2025;Q99999999N001;;;;"
            "line 3, column txid: no installment has this txid",
        ]


async def test_a_file_without_the_needed_columns_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "extrato.csv"
    path.write_text("id;valor\n1;2\n", encoding="utf-8")
    result = await invoke(database_url, str(path))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: line 1: missing required column(s): external_id, amount, paid_at, txid (or "
        "agreement_id and installment) (expected header: external_id,amount,paid_at,txid[,note])"
    )
