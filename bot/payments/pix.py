"""Static PIX BR Code ("copia e cola") per installment, so the debtor pays in one tap.

The payload is EMV QRCPS-MPM TLV text: 2-digit id, 2-digit byte length, value, closed by
field 63 with a CRC16/CCITT-FALSE. Field rules are in `shared/FACTS.md`; the Banco Central
manual example is reproduced byte for byte by the tests.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from bot.payments.crc import crc16_hex
from bot.payments.qr import qr_png

__all__ = [
    "PixCharge",
    "PixError",
    "build_brcode",
    "parse_brcode",
    "parse_txid",
    "qr_png",
    "txid_for",
]

GUI = "br.gov.bcb.pix"
NO_TXID = "***"
MAX_NAME = 25
MAX_CITY = 15
MAX_KEY = 77
MAX_DESCRIPTION = 72
MAX_TXID = 25
MAX_AMOUNT_CHARS = 13
MAX_TLV_VALUE = 99

_ID_FORMAT = "00"
_ID_MERCHANT_ACCOUNT = "26"
_ID_CATEGORY = "52"
_ID_CURRENCY = "53"
_ID_AMOUNT = "54"
_ID_COUNTRY = "58"
_ID_NAME = "59"
_ID_CITY = "60"
_ID_ADDITIONAL = "62"
_ID_CRC = "63"
_SUB_GUI = "00"
_SUB_KEY = "01"
_SUB_DESCRIPTION = "02"
_SUB_TXID = "05"
_CRC_HEADER = _ID_CRC + "04"

# Fields whose value is itself TLV: merchant accounts 26-51, additional data 62, templates 80-99.
_TEMPLATE_IDS = frozenset(
    [f"{n:02d}" for n in range(26, 52)] + [_ID_ADDITIONAL] + [f"{n:02d}" for n in range(80, 100)]
)
_TXID = re.compile(r"[A-Za-z0-9]{1,25}")
_TXID_OURS = re.compile(r"Q(\d+)N(\d+)")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")


class PixError(ValueError):
    """A charge cannot become a valid BR Code, or a text is not one; says which field and why."""


@dataclass(frozen=True, slots=True)
class PixCharge:
    """What a payer's bank app needs: whom to pay (key, name, city), how much, and a reference.

    `amount` None lets the payer type the value; `txid` "***" means no reference.
    """

    key: str
    merchant_name: str
    merchant_city: str
    amount: Decimal | None
    txid: str = NO_TXID
    description: str | None = None


def build_brcode(charge: PixCharge) -> str:
    """The "copia e cola" text for `charge`, CRC included; raises `PixError` when invalid."""
    merchant_account = _tlv(_SUB_GUI, GUI) + _tlv(_SUB_KEY, _key(charge.key))
    if charge.description:
        merchant_account += _tlv(_SUB_DESCRIPTION, _description(charge.description))
    if len(merchant_account.encode("utf-8")) > MAX_TLV_VALUE:
        raise PixError(
            "key and description are too long together: the merchant account field would be "
            f"{len(merchant_account.encode('utf-8'))} bytes, at most {MAX_TLV_VALUE}"
        )
    payload = (
        _tlv(_ID_FORMAT, "01")
        + _tlv(_ID_MERCHANT_ACCOUNT, merchant_account)
        + _tlv(_ID_CATEGORY, "0000")
        + _tlv(_ID_CURRENCY, "986")
    )
    if charge.amount is not None:
        payload += _tlv(_ID_AMOUNT, _amount(charge.amount))
    payload += (
        _tlv(_ID_COUNTRY, "BR")
        + _tlv(_ID_NAME, _plain_text(charge.merchant_name, MAX_NAME, "merchant name"))
        + _tlv(_ID_CITY, _plain_text(charge.merchant_city, MAX_CITY, "merchant city"))
        + _tlv(_ID_ADDITIONAL, _tlv(_SUB_TXID, _txid(charge.txid)))
        + _CRC_HEADER
    )
    return payload + crc16_hex(payload)


def parse_brcode(text: str) -> dict[str, str]:
    """Split a BR Code into its fields after checking the CRC.

    Top-level ids map to their raw values; fields of templates (26, 62, …) also appear as
    "26.01", "62.05", … so callers can read the key or txid directly.
    """
    text = text.strip()
    if len(text) < len(_CRC_HEADER) + 4 or text[-8:-4] != _CRC_HEADER:
        raise PixError("BR Code must end with field 63 (6304 and four hex digits)")
    expected = crc16_hex(text[:-4])
    if text[-4:].upper() != expected:
        raise PixError(f"CRC is {text[-4:]}, expected {expected}")
    fields: dict[str, str] = {}
    for field_id, value in _split_tlv(text):
        fields[field_id] = value
        if field_id in _TEMPLATE_IDS:
            for sub_id, sub_value in _split_tlv(value):
                fields[f"{field_id}.{sub_id}"] = sub_value
    if fields.get(_ID_FORMAT) != "01":
        raise PixError("payload format indicator (field 00) must be 01")
    return fields


def txid_for(agreement_id: int, installment: int) -> str:
    """A txid unique per installment that can be read back: agreement 42, #3 -> Q00000042N003."""
    if agreement_id < 1 or installment < 1:
        raise PixError("agreement id and installment number must be positive")
    txid = f"Q{agreement_id:08d}N{installment:03d}"
    if len(txid) > MAX_TXID:
        raise PixError(f"agreement id {agreement_id} is too large for a {MAX_TXID}-char txid")
    return txid


def parse_txid(txid: str) -> tuple[int, int] | None:
    """(agreement id, installment) from a txid made by `txid_for`; None for anyone else's."""
    match = _TXID_OURS.fullmatch(txid)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def _tlv(field_id: str, value: str) -> str:
    size = len(value.encode("utf-8"))
    if size > MAX_TLV_VALUE:
        raise PixError(f"field {field_id} is {size} bytes, at most {MAX_TLV_VALUE}")
    return f"{field_id}{size:02d}{value}"


def _split_tlv(text: str) -> list[tuple[str, str]]:
    """TLV items of `text`; lengths count UTF-8 bytes, as the spec says."""
    data = text.encode("utf-8")
    items: list[tuple[str, str]] = []
    position = 0
    while position < len(data):
        header = data[position : position + 4].decode("ascii", errors="replace")
        if len(header) < 4 or not header.isdigit():
            raise PixError(f"malformed field header at byte {position}")
        size = int(header[2:])
        value = data[position + 4 : position + 4 + size]
        if len(value) != size:
            raise PixError(f"field {header[:2]} is shorter than its length {size}")
        try:
            items.append((header[:2], value.decode("utf-8")))
        except UnicodeDecodeError as error:
            raise PixError(f"field {header[:2]} length splits a character") from error
        position += 4 + size
    return items


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _plain_text(value: str, limit: int, what: str) -> str:
    """Accents removed, case kept, cut to `limit`; bank apps only accept plain ASCII here."""
    text = _strip_accents(value).strip()[:limit].rstrip()
    if not text:
        raise PixError(f"{what} is empty")
    if not _PRINTABLE_ASCII.fullmatch(text):
        raise PixError(f"{what} has characters a PIX app may reject")
    return text


def _key(key: str) -> str:
    if not key or len(key) > MAX_KEY:
        raise PixError(f"PIX key must have 1 to {MAX_KEY} characters")
    if not _PRINTABLE_ASCII.fullmatch(key) or " " in key:
        raise PixError("PIX key must be printable ASCII without spaces")
    return key


def _description(description: str) -> str:
    text = _strip_accents(description).strip()
    if len(text) > MAX_DESCRIPTION:
        raise PixError(f"description has {len(text)} characters, at most {MAX_DESCRIPTION}")
    if not _PRINTABLE_ASCII.fullmatch(text):
        raise PixError("description has characters a PIX app may reject")
    return text


def _amount(amount: Decimal) -> str:
    if not amount.is_finite() or amount <= 0:
        raise PixError("amount must be a positive number of reais")
    text = f"{amount:.2f}"
    if len(text) > MAX_AMOUNT_CHARS:
        raise PixError(f"amount {text} is longer than {MAX_AMOUNT_CHARS} characters")
    if Decimal(text) != amount:
        raise PixError(f"amount {amount} has fractions of a cent")
    return text


def _txid(txid: str) -> str:
    if txid != NO_TXID and not _TXID.fullmatch(txid):
        raise PixError(f"txid must be {NO_TXID} or 1-{MAX_TXID} letters and digits")
    return txid
