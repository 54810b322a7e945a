from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.documents import (
    VALID_DDDS,
    VALID_UFS,
    format_cnpj,
    format_cpf,
    format_phone_br,
    is_valid_cnpj,
    is_valid_cpf,
    mask_cpf,
    normalize_cnpj,
    normalize_cpf,
    normalize_phone_br,
    normalize_uf,
    phone_variants,
)


def _cpf_with_check_digits(base: str) -> str:
    digits = [int(c) for c in base]
    for _ in range(2):
        total = sum(d * w for d, w in zip(digits, range(len(digits) + 1, 1, -1), strict=True))
        digits.append(total * 10 % 11 % 10)
    return "".join(map(str, digits))


# ---------------------------------------------------------------------------------- CPF


@pytest.mark.parametrize("text", ["529.982.247-25", "52998224725", " 529 982 247 25 "])
def test_facts_cpf_vector_is_accepted_in_any_usual_spelling(text: str) -> None:
    assert normalize_cpf(text) == "52998224725"
    assert is_valid_cpf(text)


@pytest.mark.parametrize(
    "text",
    [
        "529.982.247-24",  # wrong second check digit
        "529.982.247-15",  # wrong first check digit
        "111.111.111-11",  # eleven equal digits pass the arithmetic but are never issued
        "000.000.000-00",
        "5299822472",  # ten digits
        "529982247250",  # twelve digits
        "52998224a25",
        "",
        "５２９９８２２４７２５",  # full-width digits are not ASCII digits
    ],
)
def test_invalid_cpfs_are_rejected(text: str) -> None:
    assert normalize_cpf(text) is None
    assert not is_valid_cpf(text)


def test_cpf_is_formatted_and_masked_for_people() -> None:
    assert format_cpf("52998224725") == "529.982.247-25"
    assert mask_cpf("52998224725") == "***.982.247-**"
    assert mask_cpf("529.982.247-25") == "***.982.247-**"


def test_formatting_an_invalid_cpf_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueError, match="invalid CPF"):
        format_cpf("52998224724")
    with pytest.raises(ValueError, match="invalid CPF"):
        mask_cpf("123")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_computed_cpf_round_trips_and_a_wrong_check_digit_is_caught(base: str) -> None:
    cpf = _cpf_with_check_digits(base)
    if len(set(cpf)) == 1:
        assert normalize_cpf(cpf) is None
        return
    assert normalize_cpf(format_cpf(cpf)) == cpf
    for position in (9, 10):
        for digit in "0123456789".replace(cpf[position], ""):
            assert not is_valid_cpf(cpf[:position] + digit + cpf[position + 1 :])


# --------------------------------------------------------------------------------- CNPJ


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.345.678/0001-95", "12345678000195"),
        ("12345678000195", "12345678000195"),
        ("12.ABC.345/01DE-35", "12ABC34501DE35"),
        ("12abc34501de35", "12ABC34501DE35"),
    ],
)
def test_facts_cnpj_vectors_numeric_and_alphanumeric(text: str, expected: str) -> None:
    assert normalize_cnpj(text) == expected
    assert is_valid_cnpj(text)


@pytest.mark.parametrize(
    "text",
    [
        "12.345.678/0001-96",
        "12.ABC.345/01DE-36",
        "12.ABC.345/01DE-3A",  # check digits stay numeric
        "00.000.000/0000-00",
        "11111111111111",
        "1234567800019",
        "12.ABÇ.345/01DE-35",
        "",
    ],
)
def test_invalid_cnpjs_are_rejected(text: str) -> None:
    assert normalize_cnpj(text) is None
    assert not is_valid_cnpj(text)


def test_cnpj_is_formatted_with_its_usual_punctuation() -> None:
    assert format_cnpj("12345678000195") == "12.345.678/0001-95"
    assert format_cnpj("12abc34501de35") == "12.ABC.345/01DE-35"
    with pytest.raises(ValueError, match="invalid CNPJ"):
        format_cnpj("12345678000196")


# -------------------------------------------------------------------------------- Phones


@pytest.mark.parametrize(
    "text",
    [
        "(11) 98765-4321",
        "11987654321",
        "+55 11 98765-4321",
        "+55 (11) 98765-4321",
        "5511987654321",
        "011 98765 4321",
        "0xx11987654321",
        "0XX11 98765-4321",
        "0 21 11 98765-4321",  # carrier selection code 21
        "11 8765-4321",  # written before the ninth digit: the network dials 9 8765-4321
        "+55 11 8765-4321",
        "0055 11 98765 4321",
    ],
)
def test_mobile_numbers_in_any_brazilian_spelling_become_one_e164(text: str) -> None:
    assert normalize_phone_br(text) == "+5511987654321"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(11) 3456-7890", "+551134567890"),
        ("(21) 2345-6789", "+552123456789"),
        ("55 98765-4321", "+5555987654321"),  # DDD 55 (Rio Grande do Sul), no country code
        ("(96) 99123-4567", "+5596991234567"),
    ],
)
def test_landlines_and_other_area_codes(text: str, expected: str) -> None:
    assert normalize_phone_br(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "(20) 98765-4321",  # 20 is not an area code
        "(10) 3456-7890",
        "(11) 88765-4321",  # nine digits must start with 9
        "(11) 1234-5678",  # subscriber numbers do not start with 0 or 1
        "(11) 9876-543",
        "11 98765-43210",
        "+1 415 555 1234",
        "+351 912 345 678",
        "00 1 415 555 1234",
        "phone",
        "",
    ],
)
def test_impossible_or_foreign_numbers_are_rejected(text: str) -> None:
    assert normalize_phone_br(text) is None


def test_every_listed_area_code_is_accepted() -> None:
    assert len(VALID_DDDS) == 67
    for ddd in VALID_DDDS:
        assert normalize_phone_br(f"({ddd}) 99999-0000") == f"+55{ddd}999990000"


def test_phone_is_formatted_for_a_screen() -> None:
    assert format_phone_br("+5511987654321") == "(11) 98765-4321"
    assert format_phone_br("+551134567890") == "(11) 3456-7890"


def test_whatsapp_wa_id_without_ninth_digit_matches_the_stored_number() -> None:
    stored = "+5511987654321"
    assert phone_variants(stored) == ["+5511987654321", "+551187654321"]
    # The wa_id WhatsApp sends lacks both the + and the ninth digit.
    assert stored in phone_variants("551187654321")
    assert phone_variants("5511987654321")[0] == stored


def test_landline_has_a_single_variant_and_garbage_has_none() -> None:
    assert phone_variants("+551134567890") == ["+551134567890"]
    assert phone_variants("+1415555") == []


def test_states_are_the_27_federation_units_in_any_case() -> None:
    assert len(VALID_UFS) == 27
    assert normalize_uf(" sp ") == "SP"
    assert normalize_uf("DF") == "DF"
    assert normalize_uf("XX") is None
    assert normalize_uf("São Paulo") is None
