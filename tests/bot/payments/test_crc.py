"""The BR Code checksum matches the published CRC16/CCITT-FALSE check value."""

from __future__ import annotations

from bot.payments.crc import crc16_ccitt_false, crc16_hex


def test_check_value_of_123456789() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_hex_form_is_four_upper_case_digits() -> None:
    assert crc16_hex("123456789") == "29B1"
    assert crc16_hex("") == "FFFF"
