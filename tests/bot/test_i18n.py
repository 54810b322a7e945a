"""The renderer: catalogs, fallbacks, money and dates the way each locale writes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

import pytest
from babel.numbers import format_currency

from bot import i18n
from bot.i18n import catalog, locale_from, render, render_choice_label
from dialogs.flow.actions import Choice, Message, Money, ParamValue, Percent


def test_pt_br_money_uses_plain_spaces_and_brazilian_separators() -> None:
    text = render(Message("choice.plan", {"count": 6, "amount": Money(123_456)}), "pt_BR")
    assert text == "6x de R$ 1.234,56"
    assert "\u00a0" not in text


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_money_reads_as_babel_formats_it_in_every_locale(locale: str) -> None:
    amounts = [0, 1, 99, 100, 12_345, 99_999, 100_000, 123_456_789, 240_007, -150]
    for cents in [*amounts, *range(0, 2_000_000, 9_973)]:
        expected = format_currency(Decimal(cents) / 100, "BRL", locale=locale)
        plain = expected.replace("\u00a0", " ").replace("\u202f", " ")
        assert i18n.format_param(Money(cents), locale) == plain


@pytest.mark.parametrize(
    ("cents", "locale", "text"),
    [
        (0, "pt_BR", "R$ 0,00"),
        (5, "pt_BR", "R$ 0,05"),
        (-1, "pt_BR", "-R$ 0,01"),
        (100_000, "pt_BR", "R$ 1.000,00"),
        (-123_456_789, "pt_BR", "-R$ 1.234.567,89"),
        (99_999, "en", "R$999.99"),
        (-100_000_000, "en", "-R$1,000,000.00"),
        (123_456, "es", "1.234,56 BRL"),
        (-7, "es", "-0,07 BRL"),
    ],
)
def test_money_examples(cents: int, locale: str, text: str) -> None:
    assert i18n.format_param(Money(cents), locale) == text


def test_dates_per_locale() -> None:
    message = Message("promise.recorded", {"date": date(2026, 12, 10)})
    assert "10/12/2026" in render(message, "pt_BR")
    assert "12/10/2026" in render(message, "en")
    assert "10/12/2026" in render(message, "es")


def test_percent_uses_the_locale_decimal_mark() -> None:
    params: dict[str, ParamValue] = {
        "pay": Money(100),
        "discount": Money(1),
        "discount_percent": Percent(Decimal("2.5")),
        "due_date": date(2026, 1, 2),
    }
    assert "2,5%" in render(Message("offer.cash", params), "pt_BR")
    assert "2.5%" in render(Message("offer.cash", params), "en")


def test_english_and_spanish_texts() -> None:
    assert render(Message("choice.human"), "en") == "Talk to a person"
    assert render(Message("choice.human"), "es") == "Hablar con una persona"
    assert "R$2,000.00" in render(Message("payment.mismatch", {"amount": Money(200_000)}), "en")


def test_unknown_locale_falls_back_to_pt_br() -> None:
    assert render(Message("choice.human"), "fr") == "Falar com uma pessoa"
    assert render(Message("choice.human"), "pt-BR") == "Falar com uma pessoa"


def test_missing_id_in_a_locale_falls_back_to_pt_br(monkeypatch: pytest.MonkeyPatch) -> None:
    english = dict(catalog("en"))
    del english["choice.human"]
    real = catalog

    def patched(locale: str) -> dict[str, str]:
        return english if locale == "en" else dict(real(locale))

    monkeypatch.setattr("bot.i18n.catalog", patched)
    # Texts without parameters are cached per process like the catalogs: this one, read
    # through the patched catalog, goes to a cache of its own that the test then drops.
    monkeypatch.setattr("bot.i18n._plain_text", lru_cache(i18n._plain_text.__wrapped__))
    assert render(Message("choice.human"), "en") == "Falar com uma pessoa"


def test_texts_without_parameters_are_told_apart_by_locale_and_id() -> None:
    for _ in range(2):  # the second time from the cache
        assert render(Message("choice.human"), "pt_BR") == "Falar com uma pessoa"
        assert render(Message("choice.human"), "en") == "Talk to a person"
        assert render(Message("choice.human"), "es") == "Hablar con una persona"
        assert render(Message("choice.human"), "es-AR") == "Hablar con una persona"
        assert render(Message("choice.pay_full"), "en") != render(Message("choice.human"), "en")
        with pytest.raises(KeyError):
            render(Message("no.such.message"), "en")
        with pytest.raises(KeyError):  # a placeholder and no parameters: an error every time
            render(Message("choice.plan"), "pt_BR")


def test_unknown_id_and_missing_param_are_errors() -> None:
    with pytest.raises(KeyError):
        render(Message("no.such.message"), "pt_BR")
    with pytest.raises(KeyError):
        render(Message("choice.plan", {"count": 6}), "pt_BR")


def test_choice_label() -> None:
    choice = Choice("plan:9", Message("choice.accept_plan", {"count": 9}))
    assert render_choice_label(choice, "pt_BR") == "Sim, 9x"


@pytest.mark.parametrize(
    ("tag", "locale"),
    [
        ("pt-br", "pt_BR"),
        ("pt-BR", "pt_BR"),
        ("pt", "pt_BR"),
        ("pt_PT", "pt_BR"),
        ("en", "en"),
        ("en-US", "en"),
        ("es", "es"),
        ("es-AR", "es"),
        ("fr", "pt_BR"),
        ("", "pt_BR"),
        (None, "pt_BR"),
    ],
)
def test_locale_from(tag: str | None, locale: str) -> None:
    assert locale_from(tag) == locale
