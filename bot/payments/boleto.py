"""Boleto bancário: validate and decode a creditor's line before a debtor ever sees it.

A wrong digit in a boleto sends the debtor's money nowhere, so every line is checked (three
mod-10 field digits and the mod-11 general digit) and its due date and value are decoded so
they can be compared with the agreement. Layouts and algorithms: `shared/FACTS.md`.

Barcode (44): bank(3) currency(1) general DV(1) factor(4) value(10) free field(25).
Line (47): field 1 = bank+currency+free[0:5]+DV, field 2 = free[5:15]+DV,
field 3 = free[15:25]+DV, field 4 = general DV, field 5 = factor+value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dialogs.money import from_cents

__all__ = [
    "Boleto",
    "BoletoError",
    "barcode_to_line",
    "check_against",
    "due_date_for_factor",
    "factor_for",
    "format_line",
    "line_to_barcode",
    "make_boleto",
    "parse_boleto",
]

LINE_LENGTH = 47
BARCODE_LENGTH = 44
UTILITY_LINE_LENGTH = 48
CURRENCY_REAL = "9"
MAX_AMOUNT_CENTS = 9_999_999_999

# Factor 1000 was 2000-07-03; 9000 days later (2025-02-22) the factor wrapped back to 1000.
FACTOR_EPOCH = date(1997, 10, 7)
FACTOR_CYCLE_START = date(2000, 7, 3)
FACTOR_MIN = 1000
FACTOR_MAX = 9999
FACTOR_CYCLE_DAYS = FACTOR_MAX - FACTOR_MIN + 1

_SEPARATORS = re.compile(r"[\s.\-]")


class BoletoError(ValueError):
    """The text is not a valid bank boleto; the message tells an operator what is wrong."""


@dataclass(frozen=True, slots=True)
class Boleto:
    """A validated bank boleto.

    `amount_cents` 0 means the boleto carries no value (the payer types it);
    `due_date` None means factor 0 (no due date).
    """

    line: str
    barcode: str
    bank: str
    amount_cents: int
    due_date: date | None
    factor: int

    @property
    def free_field(self) -> str:
        """The 25-digit campo livre, laid out by each bank."""
        return self.barcode[19:44]

    @property
    def formatted_line(self) -> str:
        """The line grouped the way it is printed on the slip."""
        return format_line(self.line)


def mod10(digits: str) -> int:
    """Field check digit: weights 2,1,2,1… from the right, adding the digits of each product."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def mod11(digits: str) -> int:
    """General check digit: weights 2..9 cycling from the right; 0, 10 and 11 become 1."""
    total = sum(int(char) * (2 + position % 8) for position, char in enumerate(reversed(digits)))
    check = 11 - total % 11
    return 1 if check in (0, 10, 11) else check


def _general_dv(barcode: str) -> int:
    return mod11(barcode[:4] + barcode[5:])


def barcode_to_line(barcode: str) -> str:
    """44-digit barcode -> 47-digit linha digitável (adds the three field check digits)."""
    _require_digits(barcode, BARCODE_LENGTH, "barcode")
    free = barcode[19:44]
    field1 = barcode[0:4] + free[0:5]
    field2 = free[5:15]
    field3 = free[15:25]
    return (
        field1
        + str(mod10(field1))
        + field2
        + str(mod10(field2))
        + field3
        + str(mod10(field3))
        + barcode[4]
        + barcode[5:19]
    )


def line_to_barcode(line: str) -> str:
    """47-digit linha digitável -> 44-digit barcode (drops the field check digits)."""
    _require_digits(line, LINE_LENGTH, "line")
    return line[0:4] + line[32] + line[33:47] + line[4:9] + line[10:20] + line[21:31]


def format_line(line: str) -> str:
    """Group a 47-digit line for reading: `00190.00009 01149.718601 68524.522114 6 7586…`."""
    _require_digits(line, LINE_LENGTH, "line")
    return (
        f"{line[0:5]}.{line[5:10]} {line[10:15]}.{line[15:21]} "
        f"{line[21:26]}.{line[26:32]} {line[32]} {line[33:47]}"
    )


def due_date_for_factor(factor: int, *, today: date) -> date | None:
    """Decode a due-date factor, choosing the 9000-day cycle whose date is nearest to `today`.

    Factors below 1000 only ever existed before the first cycle (1997-2000).
    """
    if factor == 0:
        return None
    if not 0 < factor <= FACTOR_MAX:
        raise BoletoError(f"due-date factor {factor} is out of range")
    if factor < FACTOR_MIN:
        return FACTOR_EPOCH + timedelta(days=factor)
    first = FACTOR_CYCLE_START + timedelta(days=factor - FACTOR_MIN)
    cycles_away = round((today - first).days / FACTOR_CYCLE_DAYS)
    return first + timedelta(days=max(cycles_away, 0) * FACTOR_CYCLE_DAYS)


def factor_for(due: date) -> int:
    """Encode a due date as a factor (wrapping to 1000 every 9000 days since 2000-07-03)."""
    if due < FACTOR_CYCLE_START:
        days = (due - FACTOR_EPOCH).days
        if days < 1:
            raise BoletoError(f"due date {due.isoformat()} is before 1997-10-08")
        return days
    return FACTOR_MIN + (due - FACTOR_CYCLE_START).days % FACTOR_CYCLE_DAYS


def parse_boleto(text: str, *, today: date) -> Boleto:
    """Validate a linha digitável (47 digits) or barcode (44) and decode it.

    Dots, spaces and hyphens are ignored. `today` picks the due-date cycle after the
    2025-02-22 factor reset.
    """
    digits = _SEPARATORS.sub("", text)
    if not digits:
        raise BoletoError("boleto is empty")
    if not digits.isascii() or not digits.isdigit():
        raise BoletoError("boleto must contain only digits, dots and spaces")
    if digits.startswith("8") and len(digits) in (UTILITY_LINE_LENGTH, BARCODE_LENGTH):
        raise BoletoError("utility bill (convênio) boletos are not supported")
    if len(digits) == LINE_LENGTH:
        _check_field_digits(digits)
        barcode = line_to_barcode(digits)
    elif len(digits) == BARCODE_LENGTH:
        barcode = digits
    else:
        raise BoletoError(
            f"boleto has {len(digits)} digits, expected {LINE_LENGTH} (line) "
            f"or {BARCODE_LENGTH} (barcode)"
        )
    return _decode_barcode(barcode, today=today)


def make_boleto(bank: str, due: date, amount_cents: int, free_field: str) -> Boleto:
    """Build a valid boleto, so tests and the demo can have lines for any date and value."""
    _require_digits(bank, 3, "bank code")
    _require_digits(free_field, 25, "free field")
    if not 0 <= amount_cents <= MAX_AMOUNT_CENTS:
        raise BoletoError(f"amount {amount_cents} cents does not fit in 10 digits")
    factor = factor_for(due)
    body = f"{bank}{CURRENCY_REAL}{factor:04d}{amount_cents:010d}{free_field}"
    barcode = body[:4] + str(mod11(body)) + body[4:]
    return Boleto(
        line=barcode_to_line(barcode),
        barcode=barcode,
        bank=bank,
        amount_cents=amount_cents,
        due_date=due,
        factor=factor,
    )


def check_against(boleto: Boleto, amount_cents: int, due_date: date | None) -> list[str]:
    """What differs between a boleto and the installment it should pay (empty when it matches)."""
    mismatches: list[str] = []
    if boleto.amount_cents == 0:
        mismatches.append(f"boleto has no amount, expected {from_cents(amount_cents)}")
    elif boleto.amount_cents != amount_cents:
        mismatches.append(
            f"amount is {from_cents(boleto.amount_cents)}, expected {from_cents(amount_cents)}"
        )
    if boleto.due_date != due_date:
        found = boleto.due_date.isoformat() if boleto.due_date else "none"
        expected = due_date.isoformat() if due_date else "none"
        mismatches.append(f"due date is {found}, expected {expected}")
    return mismatches


def _check_field_digits(line: str) -> None:
    fields = ((1, line[0:9], line[9]), (2, line[10:20], line[20]), (3, line[21:31], line[31]))
    for number, body, given in fields:
        expected = mod10(body)
        if int(given) != expected:
            raise BoletoError(f"field {number} check digit is {given}, expected {expected}")


def _decode_barcode(barcode: str, *, today: date) -> Boleto:
    if barcode[3] != CURRENCY_REAL:
        raise BoletoError(f"currency code is {barcode[3]}, expected {CURRENCY_REAL} (real)")
    expected = _general_dv(barcode)
    if int(barcode[4]) != expected:
        raise BoletoError(f"general check digit is {barcode[4]}, expected {expected}")
    factor = int(barcode[5:9])
    return Boleto(
        line=barcode_to_line(barcode),
        barcode=barcode,
        bank=barcode[0:3],
        amount_cents=int(barcode[9:19]),
        due_date=due_date_for_factor(factor, today=today),
        factor=factor,
    )


def _require_digits(value: str, length: int, what: str) -> None:
    if len(value) != length or not value.isascii() or not value.isdigit():
        raise BoletoError(f"{what} must be {length} digits")
