from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import pytest

from dialogs.nlu import understand

TODAY = date(2026, 11, 25)


def entities(text: str, locale: str = "pt_BR") -> Mapping[str, object]:
    return understand(text, locale, today=TODAY).entities


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("R$ 150", Decimal("150")),
        ("r$150,00", Decimal("150")),
        ("150 reais", Decimal("150")),
        ("posso pagar cento e cinquenta", Decimal("150")),
        ("consigo mil e duzentos a vista", Decimal("1200")),
        ("duzentos e cinquenta reais e trinta centavos por mes", Decimal("250.30")),
        ("mil duzentos e trinta e quatro reais e cinquenta centavos", Decimal("1234.50")),
        ("R$ 1.234,56", Decimal("1234.56")),
        ("2 mil de entrada", Decimal("2000")),
        ("uns 300 por mes", Decimal("300")),
    ],
)
def test_amounts(text: str, amount: Decimal) -> None:
    assert entities(text)["amount"] == amount


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("6x", 6),
        ("em 10 x", 10),
        ("seis vezes", 6),
        ("em 6 parcelas", 6),
        ("parcelar em 3x pfv", 3),
        ("em 12 meses", 12),
        ("da pra parcelar em 8?", 8),
        ("duas vezes", 2),
    ],
)
def test_installments(text: str, count: int) -> None:
    assert entities(text)["installments"] == count


def test_each_number_is_used_once() -> None:
    assert entities("pago dia 10") == {"date": date(2026, 12, 10)}
    assert entities("em 6x") == {"installments": 6}
    assert entities("entrada de 500 e o resto em 10 parcelas") == {
        "amount": Decimal("500"),
        "installments": 10,
    }


def test_cpf_with_or_without_punctuation() -> None:
    assert entities("529.982.247-25")["cpf"] == "52998224725"
    assert entities("meu cpf e 52998224725")["cpf"] == "52998224725"
    assert entities("529 982 247 25")["cpf"] == "52998224725"


def test_numbers_that_are_not_valid_cpfs_are_not_cpfs() -> None:
    assert "cpf" not in entities("meu celular 11987654321")
    assert "cpf" not in entities("111.111.111-11")


def test_small_counts_and_articles_are_not_money() -> None:
    assert entities("tenho 3 filhos") == {}
    assert entities("uma entrada") == {}
    assert entities("segunda via") == {}
