from __future__ import annotations

from decimal import Decimal

import pytest

from dialogs.nlu.numbers import parse_digits, words_to_int


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("seis", 6),
        ("dez", 10),
        ("cento e cinquenta", 150),
        ("cem", 100),
        ("duzentos e cinquenta", 250),
        ("mil e duzentos", 1200),
        ("mil duzentos e trinta e quatro", 1234),
        ("dois mil e quinhentos", 2500),
        ("um milhao", 1_000_000),
    ],
)
def test_portuguese_number_words(text: str, value: int) -> None:
    assert words_to_int(text) == value


def test_english_and_spanish_basics() -> None:
    assert words_to_int("two hundred and fifty", "en") == 250
    assert words_to_int("doscientos cincuenta", "es") == 250
    assert words_to_int("mil y quinientos", "es") == 1500


def test_a_sentence_is_not_a_number() -> None:
    assert words_to_int("cinquenta e poucos") is None


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("150", Decimal("150")),
        ("150,00", Decimal("150.00")),
        ("1.234,56", Decimal("1234.56")),
        ("1.200", Decimal("1200")),
        ("99.90", Decimal("99.90")),
    ],
)
def test_brazilian_digit_formats(token: str, value: Decimal) -> None:
    assert parse_digits(token) == value


def test_english_thousands_separator() -> None:
    assert parse_digits("1,234.56", "en") == Decimal("1234.56")
