"""Money formatted from each locale's pattern taken apart once writes exactly what Babel
writes, and whatever it does not cover is left to Babel."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import format_currency, parse_pattern
from hypothesis import given
from hypothesis import strategies as st

from bot.i18n import LOCALES
from bot.money_format import MoneyFormat, format_money, money_format


def _babel_plain(cents: int, locale: str | Locale) -> str:
    """What Babel writes for the amount, with the plain spaces the renderer uses."""
    expected = format_currency(Decimal(cents) / 100, "BRL", locale=locale)
    return expected.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_supported_locale_takes_the_fast_money_format(locale: str) -> None:
    assert money_format(locale) is not None


# Decimal(cents) / 100 is exact up to 28 digits (Decimal's default precision); beyond that
# Babel itself rounds, and no debt is 10^25 reais.
_CENTS = st.integers(min_value=-(10**27) + 1, max_value=10**27 - 1)


@given(cents=_CENTS | st.integers(min_value=-100_000, max_value=100_000))
@pytest.mark.parametrize("locale", LOCALES)
def test_fast_money_format_writes_what_babel_writes(locale: str, cents: int) -> None:
    fast = money_format(locale)
    assert fast is not None
    assert fast.format(cents) == _babel_plain(cents, locale)


@pytest.mark.parametrize("locale", ["hi_IN", "fr", "ar_EG", "sw", "es_EC", "bn", "ja"])
def test_fast_money_format_follows_other_locales_patterns(locale: str) -> None:
    """Grouping by 3 then 2, narrow no-break spaces, right-to-left marks, a sign after the
    symbol: the formatter is Babel's data taken apart, not three locales written by hand."""
    parsed = Locale.parse(locale)
    fast = MoneyFormat.of(parsed, parsed.currency_formats["standard"])
    assert fast is not None
    for cents in [0, 1, -1, 99, 100, -12_345, 1_234_567_890, -(10**20) - 7]:
        assert fast.format(cents) == _babel_plain(cents, parsed)


@pytest.mark.parametrize(
    "pattern",
    [
        "'BR' \u00a4#,##0.00",  # quoted text
        "\u00a4\u00a4 #,##0.00",  # the currency code
        "#,##0.00 \u00a4\u00a4\u00a4",  # the currency's (plural) name
        "#,##0.00%",  # scaled
        "@@@ \u00a4",  # significant digits
        "0.00E0 \u00a4",  # exponent
    ],
)
def test_patterns_the_fast_format_does_not_handle_are_left_to_babel(pattern: str) -> None:
    assert MoneyFormat.of(Locale.parse("pt_BR"), parse_pattern(pattern)) is None


def test_a_swiss_apostrophe_group_mark_is_left_to_babel() -> None:
    parsed = Locale.parse("de_CH")
    assert MoneyFormat.of(parsed, parsed.currency_formats["standard"]) is None


def test_money_falls_back_to_babel_without_a_fast_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.money_format.money_format", lambda _locale: None)
    uncached = format_money.__wrapped__
    for locale in LOCALES:
        for cents in [0, -1, 123_456_789]:
            assert uncached(cents, locale) == _babel_plain(cents, locale)
