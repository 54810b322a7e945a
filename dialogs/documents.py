"""Brazilian identity documents and phone numbers: validate, normalise, format, mask.

Pure functions so that the import, the dialog (identity check) and the channels agree on one
canonical form: CPF as 11 digits, CNPJ as 14 characters, phones as E.164 `+55DDNNNNNNNNN`.
Check-digit rules follow Receita Federal (see FACTS.md), including the alphanumeric CNPJ that
is issued from July 2026.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "VALID_DDDS",
    "VALID_UFS",
    "format_cnpj",
    "format_cpf",
    "format_phone_br",
    "is_valid_cnpj",
    "is_valid_cpf",
    "mask_cpf",
    "normalize_cnpj",
    "normalize_cpf",
    "normalize_phone_br",
    "normalize_uf",
    "phone_variants",
]

# Punctuation people type around documents; anything else (letters in a CPF, emoji) is an error.
_DOCUMENT_PUNCTUATION = re.compile(r"[\s./\-]")


# --------------------------------------------------------------------------------------- CPF


def _cpf_check_digit(digits: Sequence[int]) -> int:
    weight_start = len(digits) + 1
    total = sum(d * w for d, w in zip(digits, range(weight_start, 1, -1), strict=True))
    return (total * 10 % 11) % 10


def normalize_cpf(text: str) -> str | None:
    """Return the 11 digits of a CPF whose check digits are right, else None.

    Accepts `529.982.247-25`, `52998224725` and stray spaces; rejects eleven equal digits,
    which pass the arithmetic but are never issued.
    """
    raw = _DOCUMENT_PUNCTUATION.sub("", text)
    if len(raw) != 11 or not raw.isascii() or not raw.isdigit() or len(set(raw)) == 1:
        return None
    digits = [int(c) for c in raw]
    if _cpf_check_digit(digits[:9]) != digits[9] or _cpf_check_digit(digits[:10]) != digits[10]:
        return None
    return raw


def is_valid_cpf(text: str) -> bool:
    return normalize_cpf(text) is not None


def format_cpf(text: str) -> str:
    """`52998224725` -> `529.982.247-25`; raises ValueError for an invalid CPF."""
    cpf = normalize_cpf(text)
    if cpf is None:
        raise ValueError("invalid CPF")
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"


def mask_cpf(text: str) -> str:
    """`52998224725` -> `***.982.247-**`: enough for an agent to confirm, not to reuse."""
    cpf = normalize_cpf(text)
    if cpf is None:
        raise ValueError("invalid CPF")
    return f"***.{cpf[3:6]}.{cpf[6:9]}-**"


# -------------------------------------------------------------------------------------- CNPJ

_CNPJ_WEIGHTS_1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_WEIGHTS_2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_SHAPE = re.compile(r"[0-9A-Z]{12}[0-9]{2}")


def _cnpj_check_digit(values: Sequence[int], weights: Sequence[int]) -> int:
    remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def normalize_cnpj(text: str) -> str | None:
    """Return the 14 characters of a valid CNPJ (upper case), else None.

    Numeric and alphanumeric (July 2026 on: the first 12 characters may be letters worth
    ASCII − 48; the two check digits stay numeric).
    """
    raw = _DOCUMENT_PUNCTUATION.sub("", text).upper()
    if not _CNPJ_SHAPE.fullmatch(raw) or len(set(raw)) == 1:
        return None
    values = [ord(c) - 48 for c in raw]
    if _cnpj_check_digit(values[:12], _CNPJ_WEIGHTS_1) != values[12]:
        return None
    if _cnpj_check_digit(values[:13], _CNPJ_WEIGHTS_2) != values[13]:
        return None
    return raw


def is_valid_cnpj(text: str) -> bool:
    return normalize_cnpj(text) is not None


def format_cnpj(text: str) -> str:
    """`12345678000195` -> `12.345.678/0001-95`; raises ValueError for an invalid CNPJ."""
    cnpj = normalize_cnpj(text)
    if cnpj is None:
        raise ValueError("invalid CNPJ")
    return f"{cnpj[:2]}.{cnpj[2:5]}.{cnpj[5:8]}/{cnpj[8:12]}-{cnpj[12:]}"


# ------------------------------------------------------------------------------------ Phones

# Area codes (DDD) in use in Brazil (Anatel), by first digit (region) -> second digits.
# Anything else is a typo or a foreign number.
_DDD_SECOND_DIGITS = {
    "1": "123456789",
    "2": "12478",
    "3": "1234578",
    "4": "123456789",
    "5": "1345",
    "6": "123456789",
    "7": "134579",
    "8": "123456789",
    "9": "123456789",
}
VALID_DDDS: frozenset[str] = frozenset(
    region + second for region, seconds in _DDD_SECOND_DIGITS.items() for second in seconds
)

_COUNTRY = "55"
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_TRUNK_XX = re.compile(r"^0[xX]{2}")  # "0xx11 …": the old way of writing "dial your carrier"


def _national_number(digits: str, *, international: bool) -> str | None:
    """Strip country code, trunk prefix and carrier code, leaving DDD + subscriber."""
    if international:
        return digits[2:] if digits.startswith(_COUNTRY) else None
    if len(digits) in (12, 13) and digits.startswith(_COUNTRY):
        return digits[2:]
    if digits.startswith("00") and digits[2:4] != _COUNTRY:
        return None  # international call prefix to another country
    if digits.startswith("0055"):
        return digits[4:]
    if digits.startswith("0"):
        rest = digits[1:]
        if len(rest) in (12, 13):  # 0 + carrier (2 digits) + DDD + number
            return rest[2:]
        return rest
    return digits


def normalize_phone_br(text: str) -> str | None:
    """Any common way of writing a Brazilian phone -> E.164 `+55DDNNNNNNNNN`, or None.

    Handles `(11) 98765-4321`, `+55 11 98765-4321`, `011 98765 4321`, `0xx11987654321`,
    carrier codes (`0 21 11 …`) and 8-digit numbers. An 8-digit number starting 6–9 is a
    mobile written before the ninth digit was added, so the 9 is added back: the canonical
    form is the one the network dials today.
    """
    raw = _TRUNK_XX.sub("0", _PHONE_PUNCTUATION.sub("", text.strip()))
    international = raw.startswith("+")
    digits = raw[1:] if international else raw
    if not digits.isascii() or not digits.isdigit():
        return None
    national = _national_number(digits, international=international)
    if national is None or len(national) not in (10, 11):
        return None
    ddd, subscriber = national[:2], national[2:]
    if ddd not in VALID_DDDS:
        return None
    if len(subscriber) == 9:
        if subscriber[0] != "9":
            return None
    elif subscriber[0] in "6789":
        subscriber = "9" + subscriber
    elif subscriber[0] not in "2345":
        return None
    return f"+{_COUNTRY}{ddd}{subscriber}"


def format_phone_br(e164: str) -> str:
    """`+5511987654321` -> `(11) 98765-4321`, for people reading a screen."""
    phone = normalize_phone_br(e164)
    if phone is None:
        raise ValueError("invalid Brazilian phone number")
    ddd, subscriber = phone[3:5], phone[5:]
    return f"({ddd}) {subscriber[:-4]}-{subscriber[-4:]}"


def phone_variants(e164: str) -> list[str]:
    """Every E.164 form one mobile can arrive as: canonical first, then without the ninth digit.

    WhatsApp's `wa_id` often omits the ninth digit (`551187654321` for `+5511987654321`), so
    looking a sender up by phone means trying both. Accepts E.164 or a bare `wa_id`; returns
    `+`-prefixed strings (drop the `+` to compare with a `wa_id`). Landlines have one form;
    an invalid number has none.
    """
    text = e164.strip()
    phone = normalize_phone_br(text if text.startswith("+") else f"+{text}")
    if phone is None:
        return []
    subscriber = phone[5:]
    if len(subscriber) == 9:
        return [phone, phone[:5] + subscriber[1:]]
    return [phone]


# ----------------------------------------------------------------------------------- States

# The 26 states and the Federal District (siglas IBGE); per-state rules key on these.
VALID_UFS: frozenset[str] = frozenset(
    {"AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA"}
    | {"PB", "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO"}
)


def normalize_uf(text: str) -> str | None:
    """` sp ` -> `SP`; None when it is not one of the 27 Brazilian units of the federation."""
    uf = text.strip().upper()
    return uf if uf in VALID_UFS else None
