"""Check every record before anything is written, and say exactly what is wrong where.

Each cell is checked on its own (`validate_record`), then the file as a whole
(`validate_records`): one debtor id must keep one CPF, and a contract may appear once per
debtor. Values come out normalised (CPF digits, E.164 phone, cents, 47-digit boleto line).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from bot.importing.errors import RowError
from bot.importing.reading import RawRecord
from bot.payments.boleto import MAX_AMOUNT_CENTS, parse_boleto
from dialogs.documents import normalize_cpf, normalize_phone_br, normalize_uf
from dialogs.money import to_cents
from dialogs.parsing import parse_brl_amount, parse_date_br

__all__ = ["ImportRow", "RejectedRecord", "Validation", "validate_record", "validate_records"]

# Column widths in storage/models.py.
MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 254
MAX_DESCRIPTION_LENGTH = 1000
OLDEST_BIRTH_DATE = date(1900, 1, 1)

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_TELEGRAM_ID = re.compile(r"[1-9][0-9]{0,15}")
_SPACES = re.compile(r"\s+")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One valid debt line, normalised and ready to store."""

    line: int
    debtor_id: str
    name: str
    cpf: str
    birth_date: date
    phone: str | None
    email: str | None
    state: str | None
    contract: str
    description: str
    amount_cents: int
    due_date: date
    telegram_id: str | None
    boleto_line: str | None


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record as it was in the file, with everything wrong with it."""

    line: int
    fields: list[str]
    errors: list[RowError]


@dataclass(slots=True)
class Validation:
    rows: list[ImportRow] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)

    @property
    def errors(self) -> list[RowError]:
        return [error for record in self.rejected for error in record.errors]


class _Cells:
    """Reads named cells of one record and collects errors instead of raising."""

    def __init__(self, record: RawRecord, positions: Mapping[str, int]) -> None:
        self.record = record
        self.positions = positions
        self.errors: list[RowError] = []

    def raw(self, column: str) -> str:
        index = self.positions.get(column)
        if index is None or index >= len(self.record.fields):
            return ""
        return self.record.fields[index].strip()

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.record.line, column, message))

    def text(self, column: str, *, max_length: int, required: bool = True) -> str:
        value = _SPACES.sub(" ", self.raw(column))
        if required and not value:
            self.fail(column, "is empty")
        elif len(value) > max_length:
            self.fail(column, f"is longer than {max_length} characters")
        return value

    def parsed(self, column: str, parse: Callable[[str], T | None], problem: str) -> T | None:
        """Parse a non-empty cell; None (and an error) when it is empty or unparsable."""
        raw = self.raw(column)
        if not raw:
            self.fail(column, "is empty")
            return None
        try:
            value = parse(raw)
        except ValueError as exc:
            self.fail(column, str(exc))
            return None
        if value is None:
            self.fail(column, problem)
        return value

    def optional(self, column: str, parse: Callable[[str], T | None], problem: str) -> T | None:
        return self.parsed(column, parse, problem) if self.raw(column) else None


def _email(text: str) -> str | None:
    return text if len(text) <= MAX_EMAIL_LENGTH and _EMAIL.fullmatch(text) else None


def _telegram_id(text: str) -> str | None:
    return text if _TELEGRAM_ID.fullmatch(text) else None


def validate_record(
    record: RawRecord, positions: Mapping[str, int], *, header_width: int, today: date
) -> ImportRow | list[RowError]:
    """Check one record's cells; a normalised `ImportRow`, or every problem found in it."""
    fields = record.fields
    extra = fields[header_width:]
    if len(fields) < header_width or any(value.strip() for value in extra):
        return [
            RowError(
                record.line,
                None,
                f"has {len(fields)} fields, the header has {header_width} "
                "(check the separator and quotes)",
            )
        ]
    cells = _Cells(record, positions)
    debtor_id = cells.text("debtor_id", max_length=MAX_ID_LENGTH)
    name = cells.text("name", max_length=MAX_NAME_LENGTH)
    cpf = cells.parsed("cpf", normalize_cpf, "is not a valid CPF (check digits do not match)")
    birth_date = cells.parsed("birth_date", parse_date_br, "is not a date")
    if birth_date is not None and birth_date > today:
        cells.fail("birth_date", "is in the future")
    elif birth_date is not None and birth_date < OLDEST_BIRTH_DATE:
        cells.fail("birth_date", "is before 1900")
    phone = cells.optional("phone", normalize_phone_br, "is not a Brazilian phone number")
    email = cells.optional("email", _email, "is not an e-mail address")
    state = cells.optional("state", normalize_uf, "is not a Brazilian state (UF such as SP)")
    contract = cells.text("contract", max_length=MAX_ID_LENGTH)
    description = cells.text("description", max_length=MAX_DESCRIPTION_LENGTH, required=False)
    amount = cells.parsed("amount", parse_brl_amount, "is not an amount")
    amount_cents = to_cents(amount) if amount is not None else None
    if amount_cents is not None and amount_cents <= 0:
        cells.fail("amount", "must be greater than zero")
    elif amount_cents is not None and amount_cents > MAX_AMOUNT_CENTS:
        cells.fail("amount", "is too large")
    due_date = cells.parsed("due_date", parse_date_br, "is not a date")
    telegram_id = cells.optional("telegram_id", _telegram_id, "is not a Telegram user id")
    boleto_line = cells.optional(
        "boleto", lambda text: parse_boleto(text, today=today).line, "is not a boleto"
    )

    if cells.errors or cpf is None or birth_date is None or amount_cents is None:
        return cells.errors
    if due_date is None:
        return cells.errors
    return ImportRow(
        line=record.line,
        debtor_id=debtor_id,
        name=name,
        cpf=cpf,
        birth_date=birth_date,
        phone=phone,
        email=email,
        state=state,
        contract=contract,
        description=description,
        amount_cents=amount_cents,
        due_date=due_date,
        telegram_id=telegram_id,
        boleto_line=boleto_line,
    )


def validate_records(
    records: Iterable[RawRecord | RowError],
    positions: Mapping[str, int],
    *,
    header_width: int,
    today: date,
) -> Validation:
    """Validate every record, then the rules that span lines (one CPF per debtor id, one
    line per debtor contract); the later line is the one reported."""
    result = Validation()
    cpf_line: dict[str, tuple[str, int]] = {}
    contract_line: dict[tuple[str, str], int] = {}
    for item in records:
        if isinstance(item, RowError):
            result.rejected.append(RejectedRecord(item.line, [], [item]))
            continue
        checked = validate_record(item, positions, header_width=header_width, today=today)
        if isinstance(checked, list):
            result.rejected.append(RejectedRecord(item.line, item.fields, checked))
            continue
        errors: list[RowError] = []
        first_cpf = cpf_line.setdefault(checked.debtor_id, (checked.cpf, checked.line))
        if first_cpf[0] != checked.cpf:
            errors.append(
                RowError(
                    checked.line,
                    "cpf",
                    f"differs from the CPF of the same debtor_id on line {first_cpf[1]}",
                )
            )
        key = (checked.debtor_id, checked.contract)
        first_contract = contract_line.setdefault(key, checked.line)
        if first_contract != checked.line:
            errors.append(
                RowError(
                    checked.line,
                    "contract",
                    f"repeats line {first_contract} (same debtor_id and contract)",
                )
            )
        if errors:
            result.rejected.append(RejectedRecord(item.line, item.fields, errors))
        else:
            result.rows.append(checked)
    return result
