"""CRC16/CCITT-FALSE, the checksum that closes every PIX BR Code (field 63).

The standard library already implements it: `binascii.crc_hqx` is CRC-CCITT with poly 0x1021,
no reflection and no final xor; seeding it with 0xFFFF gives the CCITT-FALSE variant.
"""

from __future__ import annotations

import binascii

__all__ = ["crc16_ccitt_false", "crc16_hex"]

_INITIAL = 0xFFFF


def crc16_ccitt_false(data: bytes) -> int:
    """CRC16/CCITT-FALSE of `data` (check value: b"123456789" -> 0x29B1)."""
    return binascii.crc_hqx(data, _INITIAL)


def crc16_hex(text: str) -> str:
    """The CRC of a BR Code prefix as the 4 upper-case hex digits field 63 carries."""
    return f"{crc16_ccitt_false(text.encode('utf-8')):04X}"
