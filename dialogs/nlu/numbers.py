"""Numbers as debtors write them: "150", "1.234,56", "cento e cinquenta", "mil e duzentos".

Amounts are returned as `Decimal` (never float); counts as `int`. Word numbers cover
Portuguese fully (up to the millions) and English/Spanish basics.
"""

from __future__ import annotations

import re
from decimal import Decimal

_SMALL: dict[str, dict[str, int]] = {
    "pt": {
        "zero": 0,
        "um": 1,
        "uma": 1,
        "dois": 2,
        "duas": 2,
        "tres": 3,
        "quatro": 4,
        "cinco": 5,
        "seis": 6,
        "sete": 7,
        "oito": 8,
        "nove": 9,
        "dez": 10,
        "onze": 11,
        "doze": 12,
        "treze": 13,
        "quatorze": 14,
        "catorze": 14,
        "quinze": 15,
        "dezesseis": 16,
        "dezasseis": 16,
        "dezessete": 17,
        "dezoito": 18,
        "dezenove": 19,
        "vinte": 20,
        "trinta": 30,
        "quarenta": 40,
        "cinquenta": 50,
        "cincoenta": 50,
        "sessenta": 60,
        "setenta": 70,
        "oitenta": 80,
        "noventa": 90,
        "cem": 100,
        "cento": 100,
        "duzentos": 200,
        "duzentas": 200,
        "trezentos": 300,
        "trezentas": 300,
        "quatrocentos": 400,
        "quinhentos": 500,
        "seiscentos": 600,
        "setecentos": 700,
        "oitocentos": 800,
        "novecentos": 900,
    },
    "en": {
        "zero": 0,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "thirteen": 13,
        "fourteen": 14,
        "fifteen": 15,
        "sixteen": 16,
        "seventeen": 17,
        "eighteen": 18,
        "nineteen": 19,
        "twenty": 20,
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
    },
    "es": {
        "cero": 0,
        "uno": 1,
        "una": 1,
        "dos": 2,
        "tres": 3,
        "cuatro": 4,
        "cinco": 5,
        "seis": 6,
        "siete": 7,
        "ocho": 8,
        "nueve": 9,
        "diez": 10,
        "once": 11,
        "doce": 12,
        "trece": 13,
        "catorce": 14,
        "quince": 15,
        "dieciseis": 16,
        "diecisiete": 17,
        "dieciocho": 18,
        "diecinueve": 19,
        "veinte": 20,
        "treinta": 30,
        "cuarenta": 40,
        "cincuenta": 50,
        "sesenta": 60,
        "setenta": 70,
        "ochenta": 80,
        "noventa": 90,
        "cien": 100,
        "ciento": 100,
        "doscientos": 200,
        "trescientos": 300,
        "cuatrocientos": 400,
        "quinientos": 500,
        "seiscientos": 600,
        "setecientos": 700,
        "ochocientos": 800,
        "novecientos": 900,
    },
}
_HUNDRED = {"en": frozenset({"hundred"}), "pt": frozenset(), "es": frozenset()}
_THOUSAND = {"pt": frozenset({"mil"}), "en": frozenset({"thousand"}), "es": frozenset({"mil"})}
_MILLION = {
    "pt": frozenset({"milhao", "milhoes"}),
    "en": frozenset({"million"}),
    "es": frozenset({"millon", "millones"}),
}
_AND = {"pt": "e", "en": "and", "es": "y"}

_BR_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?")
_DOT_DECIMAL = re.compile(r"\d+\.\d{1,2}")
_COMMA_DECIMAL = re.compile(r"\d+,\d{1,2}")
_EN_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?")


def is_number_word(token: str, language: str = "pt") -> bool:
    """Whether `token` can start or continue a number written in words."""
    return (
        token in _SMALL[language]
        or token in _HUNDRED[language]
        or token in _THOUSAND[language]
        or token in _MILLION[language]
    )


def parse_digits(token: str, language: str = "pt") -> Decimal | None:
    """A numeric token ("150", "150,00", "1.234,56", "1,234.56" in English) → Decimal."""
    if token.isdigit():
        return Decimal(token)
    if language == "en" and _EN_THOUSANDS.fullmatch(token):
        return Decimal(token.replace(",", ""))
    if _BR_THOUSANDS.fullmatch(token):
        return Decimal(token.replace(".", "").replace(",", "."))
    if _COMMA_DECIMAL.fullmatch(token):
        return Decimal(token.replace(",", "."))
    if _DOT_DECIMAL.fullmatch(token):
        return Decimal(token)
    return None


def read_number_words(
    tokens: tuple[str, ...], start: int, language: str = "pt"
) -> tuple[int, int] | None:
    """Read a number in words starting at `tokens[start]`.

    Returns (value, index after the last number word) or None. "e"/"and"/"y" is only
    consumed between number words, so "cinquenta e poucos" stops after "cinquenta".
    """
    small = _SMALL[language]
    conjunction = _AND[language]
    total = 0
    current = 0
    index = start
    end = start
    while index < len(tokens):
        token = tokens[index]
        if token in small:
            current += small[token]
        elif token in _HUNDRED[language]:
            current = (current or 1) * 100
        elif token in _THOUSAND[language]:
            total += (current or 1) * 1000
            current = 0
        elif token in _MILLION[language]:
            total += (current or 1) * 1_000_000
            current = 0
        else:
            break
        index += 1
        end = index
        if (
            index + 1 < len(tokens)
            and tokens[index] == conjunction
            and is_number_word(tokens[index + 1], language)
        ):
            index += 1
    if end == start:
        return None
    return total + current, end


def words_to_int(text: str, language: str = "pt") -> int | None:
    """ "cento e cinquenta" → 150; None when `text` is not entirely a number in words."""
    tokens = tuple(text.split())
    read = read_number_words(tokens, 0, language)
    if read is None or read[1] != len(tokens):
        return None
    return read[0]
