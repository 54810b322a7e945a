"""Build debt CSV files for the import tests: valid by default, broken on purpose."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

HEADER = (
    "debtor_id",
    "name",
    "cpf",
    "birth_date",
    "phone",
    "email",
    "state",
    "contract",
    "description",
    "amount",
    "due_date",
)
VALID_CPFS = ("52998224725", "64152677600", "64555482212", "09255232916", "01047650622")


def cpf_for(number: int) -> str:
    """A valid CPF derived from `number`, so big files have many distinct debtors."""
    digits = [int(c) for c in f"{number % 10**9:09d}"]
    if len(set(digits)) == 1:
        digits[0] = (digits[0] + 1) % 10
    for _ in range(2):
        total = sum(d * w for d, w in zip(digits, range(len(digits) + 1, 1, -1), strict=True))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


def debt_row(index: int, **overrides: str) -> dict[str, str]:
    """A valid row; debtor `D{index}` with contract `C{index}`."""
    row = {
        "debtor_id": f"D{index}",
        "name": f"Pessoa Número {index}",
        "cpf": cpf_for(100_000_000 + index),
        "birth_date": "1980-05-17",
        "phone": f"(11) 9{index % 10_000:04d}-{index % 10_000:04d}",
        "email": f"p{index}@example.com",
        "state": "SP",
        "contract": f"C{index}",
        "description": f"Fatura {index}",
        "amount": "1234.56",
        "due_date": "2026-10-05",
    }
    row.update(overrides)
    return row


def csv_text(
    rows: Iterable[Mapping[str, str]],
    *,
    delimiter: str = ",",
    header: Iterable[str] = HEADER,
) -> str:
    columns = list(header)
    lines = [delimiter.join(columns)]
    lines += [delimiter.join(row.get(column, "") for column in columns) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def write_csv(
    path: Path,
    rows: Iterable[Mapping[str, str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    header: Iterable[str] = HEADER,
) -> Path:
    path.write_bytes(csv_text(rows, delimiter=delimiter, header=header).encode(encoding))
    return path
