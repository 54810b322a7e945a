"""Entities the flow acts on: amount, number of installments, date and CPF.

Each span of the message is used once: "dia 10" is a date, so its 10 is not also an amount;
"6x" is a number of installments, so its 6 is not money either.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from dialogs.nlu.dates import find_date
from dialogs.nlu.numbers import is_number_word, parse_digits, read_number_words

_CPF = re.compile(r"(?<![\d.])(\d{3})[.\s]?(\d{3})[.\s]?(\d{3})[-.\s]?(\d{2})(?![\d])")

_INSTALLMENT_UNITS = {
    "pt": frozenset({"x", "vezes", "parcelas", "prestacoes", "parcela"}),
    "en": frozenset({"x", "installments", "installment", "times", "payments"}),
    "es": frozenset({"x", "cuotas", "veces", "plazos"}),
}
_MONTHS_WORD = {"pt": "meses", "en": "months", "es": "meses"}
_SPLIT_VERBS = frozenset({"parcelar", "parcela", "parcelado", "dividir", "divide", "split"})
_CURRENCY_WORDS = frozenset(
    {
        "reais",
        "real",
        "conto",
        "contos",
        "pila",
        "pilas",
        "mangos",
        "dollars",
        "dolares",
        "pesos",
        "bucks",
    }
)
_CENTS_WORDS = frozenset({"centavos", "centavo", "cents", "centimos"})
_MONEY_BEFORE = frozenset(
    {
        "r",
        "pagar",
        "pago",
        "consigo",
        "posso",
        "dou",
        "dar",
        "oferecer",
        "ofereco",
        "uns",
        "maximo",
        "entrada",
        "pay",
        "puedo",
        "pagaria",
        "aceitariam",
        "ate",
    }
)
_MONEY_AFTER = (
    ("por", "mes"),
    ("ao", "mes"),
    ("mensais",),
    ("mensal",),
    ("de", "entrada"),
    ("a", "vista"),
    ("al", "mes"),
    ("a", "month"),
    ("per", "month"),
)
_NOT_MONEY_AFTER = frozenset(
    {
        "dias",
        "dia",
        "anos",
        "ano",
        "meses",
        "mes",
        "filhos",
        "filho",
        "horas",
        "hora",
        "minutos",
        "semanas",
        "vezes",
        "x",
        "days",
        "years",
        "months",
        "kids",
        "a",
        "via",
    }
)
_MIN_BARE_AMOUNT = 10
_MAX_AMOUNT_DIGITS = 9


def cpf_is_valid(digits: str) -> bool:
    """Check digits of a CPF (and not eleven equal digits)."""
    if len(digits) != 11 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    for size in (9, 10):
        total = sum(int(d) * w for d, w in zip(digits[:size], range(size + 1, 1, -1), strict=True))
        if (total * 10 % 11) % 10 != int(digits[size]):
            return False
    return True


def find_cpf(folded: str) -> str | None:
    """The first valid CPF in the text, as 11 digits (punctuation and spaces optional)."""
    for match in _CPF.finditer(folded):
        digits = "".join(match.groups())
        if cpf_is_valid(digits):
            return digits
    return None


def _number_at(tokens: tuple[str, ...], at: int, language: str) -> tuple[Decimal, int, bool] | None:
    """(value, end, written_in_digits) for a number starting at `at`."""
    token = tokens[at]
    if token[0].isdigit():
        value = parse_digits(token, language)
        if value is None:
            return None
        end = at + 1
        if end < len(tokens) and tokens[end] in {"mil", "thousand"}:
            value, end = value * 1000, end + 1
        return value, end, True
    read = read_number_words(tokens, at, language)
    if read is None:
        return None
    return Decimal(read[0]), read[1], False


def _find_installments(
    tokens: tuple[str, ...], language: str, used: set[int]
) -> tuple[int, range] | None:
    for at in range(len(tokens)):
        if at in used or not (tokens[at][0].isdigit() or is_number_word(tokens[at], language)):
            continue
        number = _number_at(tokens, at, language)
        if number is None or number[1] >= len(tokens) + 1:
            continue
        value, end, _ = number
        if not (1 < value < 100) or value != value.to_integral_value():
            continue
        following = tokens[end] if end < len(tokens) else ""
        before = tokens[at - 1] if at > 0 else ""
        before2 = tokens[at - 2] if at > 1 else ""
        if (
            following in _INSTALLMENT_UNITS[language]
            or (following == _MONTHS_WORD[language] and before in {"em", "in", "en"})
            or (before in {"em", "in", "en"} and before2 in _SPLIT_VERBS)
        ):
            return int(value), range(at, end + 1)
    return None


def _money_context(tokens: tuple[str, ...], at: int, end: int) -> bool:
    before = tokens[at - 1] if at > 0 else ""
    if before in _MONEY_BEFORE or (end < len(tokens) and tokens[end] in _CURRENCY_WORDS):
        return True
    return any(tokens[end : end + len(phrase)] == phrase for phrase in _MONEY_AFTER)


def _find_amount(tokens: tuple[str, ...], language: str, used: set[int]) -> Decimal | None:
    for at in range(len(tokens)):
        token = tokens[at]
        if at in used or not (token[0].isdigit() or is_number_word(token, language)):
            continue
        number = _number_at(tokens, at, language)
        if number is None:
            continue
        value, end, in_digits = number
        if not in_digits and end == at + 1 and value == 1:
            continue  # "um"/"uma" is nearly always an article, not money
        following = tokens[end] if end < len(tokens) else ""
        bare_digits = (
            in_digits
            and token.isdigit()
            and len(token) <= _MAX_AMOUNT_DIGITS
            and value >= _MIN_BARE_AMOUNT
            and following not in _NOT_MONEY_AFTER
        )
        decimal_digits = in_digits and ("," in token or "." in token)
        if not (_money_context(tokens, at, end) or bare_digits or decimal_digits):
            continue
        if following in _CURRENCY_WORDS:
            cents_at = end + 2
            if (
                end + 1 < len(tokens)
                and tokens[end + 1] in {"e", "and", "y"}
                and cents_at < len(tokens)
            ):
                cents = _number_at(tokens, cents_at, language)
                if cents and cents[1] < len(tokens) and tokens[cents[1]] in _CENTS_WORDS:
                    value += cents[0] / 100
        return value
    return None


def extract(
    tokens: tuple[str, ...], folded: str, today: date, language: str = "pt", *, past: bool = False
) -> dict[str, object]:
    """All entities found in a normalised message (keys present only when found)."""
    entities: dict[str, object] = {}
    used: set[int] = set()
    cpf = find_cpf(folded)
    if cpf:
        entities["cpf"] = cpf
        used.update(
            at
            for at, token in enumerate(tokens)
            if token[0].isdigit() and token.replace(".", "").replace("-", "") in cpf
        )
    found_date = find_date(tokens, today, language, past=past)
    if found_date:
        entities["date"] = found_date[0]
        used.update(found_date[1])
    installments = _find_installments(tokens, language, used)
    if installments:
        entities["installments"] = installments[0]
        used.update(installments[1])
    amount = _find_amount(tokens, language, used)
    if amount is not None:
        entities["amount"] = amount
    return entities
