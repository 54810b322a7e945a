from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.parsing import parse_brl_amount, parse_date_br


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("R$ 1.234,56", "1234.56"),
        ("R$1.234,56", "1234.56"),
        ("r$ 1.234,56", "1234.56"),
        ("R$\u00a01.234,56", "1234.56"),  # spreadsheets put a non-breaking space after R$
        ("1,234.56", "1234.56"),
        ("1.234.567,89", "1234567.89"),
        ("1234,5", "1234.50"),
        ("12.50", "12.50"),
        ("1.500", "1500.00"),  # money never has three decimals: the dot groups thousands
        ("10", "10.00"),
        (" 0,99 ", "0.99"),
        ("-R$ 5,00", "-5.00"),
    ],
)
def test_amounts_as_brazilian_spreadsheets_write_them(text: str, expected: str) -> None:
    assert parse_brl_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("R$", "empty"),
        ("abc", "not an amount"),
        ("12,345", "two decimal places"),
        ("1.2345", "thousands"),
        ("1.23.4", "thousands"),
        ("1,2,3", "thousands"),
        ("12 reais", "not an amount"),
        ("1e3", "not an amount"),
    ],
)
def test_ambiguous_or_malformed_amounts_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_brl_amount(text)


@given(st.integers(min_value=0, max_value=10**12))
def test_brazilian_formatting_of_any_cent_amount_parses_back(cents: int) -> None:
    reais, centavos = divmod(cents, 100)
    grouped = f"{reais:,}".replace(",", ".")
    assert parse_brl_amount(f"R$ {grouped},{centavos:02d}") == Decimal(cents) / 100
    assert parse_brl_amount(f"{reais}.{centavos:02d}") == Decimal(cents) / 100


@pytest.mark.parametrize("text", ["2026-10-05", "05/10/2026", "5/10/2026", " 2026-10-5 "])
def test_dates_iso_or_day_first(text: str) -> None:
    assert parse_date_br(text) == date(2026, 10, 5)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2026", "no such date"),
        ("2026-13-01", "no such date"),
        ("2026/10/05", "use a date like"),
        ("10/05/26", "use a date like"),
        ("", "use a date like"),
        ("amanhã", "use a date like"),
    ],
)
def test_impossible_dates_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date_br(text)
