"""Read money amounts and dates the way Brazilian spreadsheets and people write them.

Creditors export CSVs from many systems: `1234.56`, `1.234,56` and `R$ 1.234,56` all mean the
same amount, and `05/10/2026` is the 5th of October. Ambiguous or malformed text raises
`ValueError` with a short reason instead of guessing, because a wrong guess is a wrong debt.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

__all__ = ["parse_brl_amount", "parse_date_br"]

_SPACES = re.compile(r"\s+")
_CURRENCY = re.compile(r"^R\$", re.IGNORECASE)
_GROUPED = {
    ".": re.compile(r"\d{1,3}(?:\.\d{3})+"),
    ",": re.compile(r"\d{1,3}(?:,\d{3})+"),
}
_PLAIN_DIGITS = re.compile(r"\d+")
_FRACTION = re.compile(r"\d{1,2}")


def _integer_part(text: str, thousands: str) -> str:
    """Digits before the decimal separator, with correctly placed thousands separators."""
    if _PLAIN_DIGITS.fullmatch(text):
        return text
    if _GROUPED[thousands].fullmatch(text):
        return text.replace(thousands, "")
    raise ValueError("misplaced thousands separator")


def parse_brl_amount(text: str) -> Decimal:
    """`1234.56`, `1.234,56`, `R$ 1.234,56`, `1234,5`, `1.500` -> Decimal with cents.

    With both separators the last one is the decimal mark. With only one kind, a comma is
    decimal (the Brazilian mark); a dot is decimal when 1–2 digits follow it and a thousands
    separator otherwise (`1.500` is fifteen hundred: money never has three decimals).
    """
    cleaned = _CURRENCY.sub("", _SPACES.sub("", text))
    sign = ""
    if cleaned.startswith(("-", "+")):
        sign = "-" if cleaned[0] == "-" else ""
        cleaned = _CURRENCY.sub("", cleaned[1:])
    if not cleaned:
        raise ValueError("empty amount")
    if not cleaned.isascii() or not re.fullmatch(r"[\d.,]+", cleaned):
        raise ValueError(f"not an amount: {text.strip()!r}")

    last_comma, last_dot = cleaned.rfind(","), cleaned.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        decimal_mark = "," if last_comma > last_dot else "."
    elif last_comma >= 0:
        decimal_mark = ","
    elif last_dot >= 0 and cleaned.count(".") == 1 and len(cleaned) - last_dot - 1 <= 2:
        decimal_mark = "."
    else:
        decimal_mark = ""
    thousands = {",": ".", ".": ",", "": "."}[decimal_mark]

    if decimal_mark:
        whole, _, fraction = cleaned.rpartition(decimal_mark)
        if not _FRACTION.fullmatch(fraction):
            raise ValueError("use at most two decimal places")
        if not whole:
            whole = "0"
    else:
        whole, fraction = cleaned, ""
    integer = _integer_part(whole, thousands)
    return Decimal(f"{sign}{integer}.{fraction or '0'}").quantize(Decimal("0.01"))


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_BR_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date_br(text: str) -> date:
    """`2026-10-05` or `05/10/2026` (day first, as in Brazil) -> date."""
    cleaned = text.strip()
    if match := _ISO_DATE.fullmatch(cleaned):
        year, month, day = (int(g) for g in match.groups())
    elif match := _BR_DATE.fullmatch(cleaned):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise ValueError("use a date like 2026-10-05 or 05/10/2026")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"no such date: {cleaned}") from None
