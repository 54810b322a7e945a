"""PIX "copia e cola" payloads are byte-exact and readable by an independent decoder."""

from __future__ import annotations

from decimal import Decimal

import pytest
from brcode.static import fromJson
from brcode.utils.brcodeId import jsonFromBrcode

from bot.payments.pix import (
    PixCharge,
    PixError,
    build_brcode,
    parse_brcode,
    parse_txid,
    txid_for,
)

BCB_KEY = "123e4567-e12b-12d1-a456-426655440000"
BCB_EXAMPLE = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)


def _charge(**changes: object) -> PixCharge:
    fields: dict[str, object] = {
        "key": "cobranca@credora.com.br",
        "merchant_name": "Crédito Fácil São Paulo",
        "merchant_city": "São Paulo",
        "amount": Decimal("125.00"),
        "txid": txid_for(42, 3),
        "description": None,
    }
    fields.update(changes)
    return PixCharge(**fields)  # type: ignore[arg-type]


def test_banco_central_example_is_reproduced_byte_for_byte() -> None:
    charge = PixCharge(BCB_KEY, "Fulano de Tal", "BRASILIA", amount=None, txid="***")

    assert build_brcode(charge) == BCB_EXAMPLE


def test_independent_decoder_reads_amount_name_city_and_txid() -> None:
    payload = build_brcode(_charge(description="Acordo 42 parcela 3"))

    decoded = jsonFromBrcode(payload)  # raises on a CRC or length mismatch

    assert decoded["54"] == "125.00"
    assert decoded["59"] == "Credito Facil Sao Paulo"
    assert decoded["60"] == "Sao Paulo"
    assert decoded["62"] == {"05": "Q00000042N003"}
    assert decoded["26"] == {
        "00": "br.gov.bcb.pix",
        "01": "cobranca@credora.com.br",
        "02": "Acordo 42 parcela 3",
    }


def test_own_parser_round_trips_the_fields() -> None:
    fields = parse_brcode(build_brcode(_charge()))

    assert fields["54"] == "125.00"
    assert fields["59"] == "Credito Facil Sao Paulo"
    assert fields["60"] == "Sao Paulo"
    assert fields["62.05"] == "Q00000042N003"
    assert fields["26.01"] == "cobranca@credora.com.br"
    assert parse_txid(fields["62.05"]) == (42, 3)


def test_parser_reads_the_banco_central_example() -> None:
    fields = parse_brcode(BCB_EXAMPLE)

    assert fields["26.01"] == BCB_KEY
    assert fields["62.05"] == "***"
    assert "54" not in fields


def test_parser_rejects_a_wrong_crc() -> None:
    with pytest.raises(PixError, match="CRC is 1D3E, expected 1D3D"):
        parse_brcode(BCB_EXAMPLE[:-1] + "E")


def test_parser_rejects_a_changed_amount_even_with_lengths_intact() -> None:
    payload = build_brcode(_charge())

    with pytest.raises(PixError, match="CRC"):
        parse_brcode(payload.replace("125.00", "12.500"))


def test_long_name_is_cut_to_25_and_accents_are_removed_keeping_case() -> None:
    charge = _charge(
        merchant_name="Associação Comercial de Crédito e Cobrança",
        merchant_city="Florianópolis do Sul",
    )

    fields = parse_brcode(build_brcode(charge))

    assert fields["59"] == "Associacao Comercial de C"
    assert fields["60"] == "Florianopolis d"


def test_lengths_count_bytes_of_the_encoded_payload() -> None:
    payload = build_brcode(_charge(merchant_name="Ótica Ânfora"))

    assert "5912Otica Anfora" in payload
    assert payload.isascii()


@pytest.mark.parametrize("txid", ["", "com-hifen", "a" * 26, "espaço", "Q 1"])
def test_invalid_txid_is_rejected(txid: str) -> None:
    with pytest.raises(PixError, match="txid"):
        build_brcode(_charge(txid=txid))


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("0"), "positive"),
        (Decimal("-1.00"), "positive"),
        (Decimal("10.005"), "fractions of a cent"),
        (Decimal("12345678901.00"), "longer than 13"),
    ],
)
def test_invalid_amount_is_rejected(amount: Decimal, message: str) -> None:
    with pytest.raises(PixError, match=message):
        build_brcode(_charge(amount=amount))


def test_amount_is_written_with_two_decimals() -> None:
    assert parse_brcode(build_brcode(_charge(amount=Decimal("7.5"))))["54"] == "7.50"


def test_key_and_description_too_long_together_are_rejected() -> None:
    with pytest.raises(PixError, match="key and description are too long together"):
        build_brcode(_charge(key="k" * 60, description="d" * 30))


def test_empty_name_is_rejected() -> None:
    with pytest.raises(PixError, match="merchant name is empty"):
        build_brcode(_charge(merchant_name="  "))


def test_txids_are_unique_per_installment_and_read_back() -> None:
    txids = {txid_for(agreement, n) for agreement in (1, 10, 42, 99_999_999) for n in (1, 2, 12)}

    assert len(txids) == 12
    assert txid_for(42, 3) == "Q00000042N003"
    assert all(len(t) <= 25 and t.isalnum() for t in txids)
    assert parse_txid(txid_for(123_456_789, 1000)) == (123_456_789, 1000)
    assert parse_txid("***") is None


def test_txid_rejects_non_positive_numbers() -> None:
    with pytest.raises(PixError):
        txid_for(0, 1)


def test_independent_encoder_builds_the_same_payload() -> None:
    ours = build_brcode(_charge(description="Parcela 3"))
    theirs = fromJson(
        {
            "key": "cobranca@credora.com.br",
            "name": "Credito Facil Sao Paulo",
            "city": "Sao Paulo",
            "amount": 12500,
            "txid": "Q00000042N003",
            "description": "Parcela 3",
        }
    )

    assert ours == theirs
