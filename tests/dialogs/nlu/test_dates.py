"""Every date form, anchored on Wednesday 2026-11-25."""

from __future__ import annotations

from datetime import date

import pytest

from dialogs.nlu.dates import add_months, day_of_month, find_date
from dialogs.nlu.normalize import normalize

TODAY = date(2026, 11, 25)


def resolve(text: str, language: str = "pt", *, past: bool = False) -> date | None:
    found = find_date(normalize(text, language).tokens, TODAY, language, past=past)
    return found[0] if found else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dia 10", date(2026, 12, 10)),
        ("dia 25", date(2026, 11, 25)),
        ("dia 30", date(2026, 11, 30)),
        ("dia 31", date(2026, 12, 31)),
        ("dia primeiro", date(2026, 12, 1)),
        ("dia 5 do mes que vem", date(2026, 12, 5)),
        ("dia 10 de janeiro", date(2027, 1, 10)),
        ("sexta", date(2026, 11, 27)),
        ("sexta-feira", date(2026, 11, 27)),
        ("quarta", date(2026, 12, 2)),
        ("segunda", date(2026, 11, 30)),
        ("domingo", date(2026, 11, 29)),
        ("amanhã", date(2026, 11, 26)),
        ("amnh", date(2026, 11, 26)),
        ("depois de amanha", date(2026, 11, 27)),
        ("hoje", date(2026, 11, 25)),
        ("ontem", date(2026, 11, 24)),
        ("semana que vem", date(2026, 11, 30)),
        ("proxima semana", date(2026, 11, 30)),
        ("fim do mês", date(2026, 11, 30)),
        ("final do mes que vem", date(2026, 12, 31)),
        ("inicio do mes que vem", date(2026, 12, 1)),
        ("mês que vem", date(2026, 12, 25)),
        ("15/12", date(2026, 12, 15)),
        ("15/12/2026", date(2026, 12, 15)),
        ("10/11", date(2027, 11, 10)),
        ("daqui 15 dias", date(2026, 12, 10)),
        ("daqui a uma semana", date(2026, 12, 2)),
        ("em 10 dias", date(2026, 12, 5)),
    ],
)
def test_portuguese_forms(text: str, expected: date) -> None:
    assert resolve(text) == expected


def test_looking_back_for_payments_already_made() -> None:
    assert resolve("paguei dia 20", past=True) == date(2026, 11, 20)
    assert resolve("paguei sexta", past=True) == date(2026, 11, 20)
    assert resolve("paguei 30/11", past=True) == date(2025, 11, 30)


def test_ordinals_that_share_weekday_names_are_not_dates() -> None:
    assert resolve("segunda via") is None
    assert resolve("quinta parcela") is None


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("tomorrow", "en", date(2026, 11, 26)),
        ("next week", "en", date(2026, 11, 30)),
        ("on friday", "en", date(2026, 11, 27)),
        ("on the 10th", "en", date(2026, 12, 10)),
        ("end of the month", "en", date(2026, 11, 30)),
        ("mañana", "es", date(2026, 11, 26)),
        ("el viernes", "es", date(2026, 11, 27)),
        ("la semana que viene", "es", date(2026, 11, 30)),
        ("el dia 10", "es", date(2026, 12, 10)),
    ],
)
def test_english_and_spanish_basics(text: str, language: str, expected: date) -> None:
    assert resolve(text, language) == expected


def test_month_arithmetic_clamps_to_month_end() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert day_of_month(31, date(2027, 2, 1)) == date(2027, 3, 31)
