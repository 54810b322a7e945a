"""Boleto lines are checked and decoded before a debtor ever sees them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.payments.boleto import (
    BoletoError,
    barcode_to_line,
    check_against,
    format_line,
    line_to_barcode,
    make_boleto,
    parse_boleto,
)

FACTS_LINE = "00190000090114971860168524522114675860000102656"
FACTS_BARCODE = "00196758600001026560000001149718606852452211"
TODAY = date(2026, 11, 25)


def _replace_digit(text: str, index: int) -> str:
    return text[:index] + str((int(text[index]) + 1) % 10) + text[index + 1 :]


def test_facts_vector_decodes_due_date_value_and_bank() -> None:
    boleto = parse_boleto(FACTS_LINE, today=date(2018, 7, 1))

    assert boleto.due_date == date(2018, 7, 15)
    assert boleto.amount_cents == 102656
    assert boleto.bank == "001"
    assert boleto.factor == 7586
    assert boleto.barcode == FACTS_BARCODE


def test_line_typed_with_dots_and_spaces_is_accepted() -> None:
    typed = "00190.00009 01149.718601 68524.522114 6 75860000102656"

    assert parse_boleto(typed, today=date(2018, 7, 1)).line == FACTS_LINE


def test_barcode_decodes_to_the_same_boleto_as_its_line() -> None:
    today = date(2018, 7, 1)

    assert parse_boleto(FACTS_BARCODE, today=today) == parse_boleto(FACTS_LINE, today=today)


def test_boleto_due_after_the_2025_factor_reset_decodes_to_its_date() -> None:
    made = make_boleto("341", date(2026, 12, 10), 45_000, "1234567890123456789012345")

    parsed = parse_boleto(made.line, today=date(2026, 11, 25))

    assert parsed.due_date == date(2026, 12, 10)
    assert parsed.amount_cents == 45_000
    assert 1000 <= parsed.factor < 2000


def test_factor_1000_is_read_in_the_cycle_nearest_today() -> None:
    made = make_boleto("237", date(2025, 2, 22), 100, "0" * 25)

    assert made.factor == 1000
    assert parse_boleto(made.line, today=date(2025, 2, 1)).due_date == date(2025, 2, 22)
    assert parse_boleto(made.line, today=date(2001, 1, 1)).due_date == date(2000, 7, 3)


def test_factor_zero_means_no_due_date() -> None:
    barcode = "001" + "9" + "0" + "0000" + "0000010000" + "0" * 25
    body = barcode[:4] + barcode[5:]
    weights = [2 + i % 8 for i in range(len(body))]
    total = sum(int(d) * w for d, w in zip(reversed(body), weights, strict=True))
    dv = 11 - total % 11
    barcode = barcode[:4] + str(1 if dv in (0, 10, 11) else dv) + barcode[5:]

    boleto = parse_boleto(barcode, today=TODAY)

    assert boleto.due_date is None
    assert boleto.amount_cents == 10000


@pytest.mark.parametrize(
    ("index", "field"),
    [(9, 1), (20, 2), (31, 3)],
)
def test_wrong_field_check_digit_names_the_field(index: int, field: int) -> None:
    bad = _replace_digit(FACTS_LINE, index)

    with pytest.raises(BoletoError, match=rf"field {field} check digit is \d, expected \d"):
        parse_boleto(bad, today=TODAY)


def test_typo_in_a_field_body_is_caught_by_its_check_digit() -> None:
    with pytest.raises(BoletoError, match="field 2 check digit"):
        parse_boleto(_replace_digit(FACTS_LINE, 12), today=TODAY)


def test_wrong_general_check_digit_is_rejected() -> None:
    with pytest.raises(BoletoError, match="general check digit is 7, expected 6"):
        parse_boleto(FACTS_LINE[:32] + "7" + FACTS_LINE[33:], today=TODAY)


def test_changed_value_is_caught_by_the_general_check_digit() -> None:
    tampered = FACTS_LINE[:-5] + "99999"

    with pytest.raises(BoletoError, match="general check digit"):
        parse_boleto(tampered, today=TODAY)


@pytest.mark.parametrize("text", ["0019000009011497186016852452211467586000010265", "1" * 50])
def test_wrong_length_is_rejected(text: str) -> None:
    with pytest.raises(BoletoError, match=r"expected 47 \(line\) or 44 \(barcode\)"):
        parse_boleto(text, today=TODAY)


@pytest.mark.parametrize("text", ["", "  ", "0019O000090114971860168524522114675860000102656"])
def test_empty_or_non_digit_text_is_rejected(text: str) -> None:
    with pytest.raises(BoletoError):
        parse_boleto(text, today=TODAY)


@pytest.mark.parametrize(
    "text",
    ["836200000005 667800481000 180975657313 001589636081", "8" + "3" * 43],
)
def test_utility_bills_are_refused_clearly(text: str) -> None:
    with pytest.raises(BoletoError, match=r"utility bill \(convênio\) boletos are not supported"):
        parse_boleto(text, today=TODAY)


def test_non_real_currency_is_rejected() -> None:
    made = make_boleto("001", date(2026, 12, 10), 100, "0" * 25)
    other_currency = made.barcode[:3] + "8" + made.barcode[4:]

    with pytest.raises(BoletoError, match="currency code is 8"):
        parse_boleto(other_currency, today=TODAY)


def test_format_line_groups_the_line_for_reading() -> None:
    assert format_line(FACTS_LINE) == "00190.00009 01149.718601 68524.522114 6 75860000102656"


def test_barcode_and_line_convert_both_ways() -> None:
    assert line_to_barcode(FACTS_LINE) == FACTS_BARCODE
    assert barcode_to_line(FACTS_BARCODE) == FACTS_LINE


def test_check_against_lists_every_mismatch() -> None:
    boleto = parse_boleto(FACTS_LINE, today=date(2018, 7, 1))

    assert check_against(boleto, 102656, date(2018, 7, 15)) == []
    assert check_against(boleto, 100000, date(2018, 7, 20)) == [
        "amount is 1026.56, expected 1000.00",
        "due date is 2018-07-15, expected 2018-07-20",
    ]


def test_check_against_flags_a_boleto_without_amount() -> None:
    boleto = make_boleto("001", date(2026, 12, 10), 0, "0" * 25)

    assert check_against(boleto, 5000, date(2026, 12, 10)) == [
        "boleto has no amount, expected 50.00"
    ]


def test_make_boleto_rejects_values_that_do_not_fit() -> None:
    with pytest.raises(BoletoError, match="10 digits"):
        make_boleto("001", TODAY, 10**10, "0" * 25)
    with pytest.raises(BoletoError, match="free field"):
        make_boleto("001", TODAY, 100, "123")


@given(
    offset_days=st.integers(min_value=-5 * 365, max_value=5 * 365),
    amount_cents=st.integers(min_value=0, max_value=9_999_999_999),
    bank=st.from_regex(r"[0-7][0-9]{2}", fullmatch=True),
    free_field=st.from_regex(r"[0-9]{25}", fullmatch=True),
)
def test_made_boletos_round_trip_within_five_years_of_today(
    offset_days: int, amount_cents: int, bank: str, free_field: str
) -> None:
    due = TODAY + timedelta(days=offset_days)
    made = make_boleto(bank, due, amount_cents, free_field)

    parsed = parse_boleto(format_line(made.line), today=TODAY)

    assert parsed == made
    assert parsed.due_date == due
    assert parsed.amount_cents == amount_cents
    assert parsed.free_field == free_field
    assert parse_boleto(made.barcode, today=TODAY) == made
