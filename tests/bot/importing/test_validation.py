"""Reading and validating debt CSVs, before anything touches a database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.importing import ImportFileError, validate_file
from bot.payments.boleto import make_boleto
from tests.bot.importing.samples import HEADER, debt_row, write_csv

TODAY = date(2026, 1, 15)


def messages(path: Path) -> list[str]:
    return [str(error) for error in validate_file(path, today=TODAY).validation.errors]


def test_semicolon_windows_1252_file_with_brazilian_amounts_and_dates(tmp_path: Path) -> None:
    rows = [
        debt_row(
            1,
            name="João Conceição",
            description="Crediário – geladeira",
            amount="R$ 1.234,56",
            due_date="05/10/2026",
            birth_date="17/05/1980",
        )
    ]
    path = write_csv(tmp_path / "d.csv", rows, delimiter=";", encoding="cp1252")
    checked = validate_file(path, today=TODAY)
    assert checked.decoded.encoding == "cp1252"
    assert checked.decoded.delimiter == ";"
    [row] = checked.validation.rows
    assert row.name == "João Conceição"
    assert row.description == "Crediário – geladeira"
    assert row.amount_cents == 123456
    assert row.due_date == date(2026, 10, 5)
    assert row.birth_date == date(1980, 5, 17)


def test_utf8_with_bom_and_comma_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    write_csv(path, [debt_row(1, name="Açaí Conceição", amount="1234.56")], encoding="utf-8-sig")
    checked = validate_file(path, today=TODAY)
    assert checked.decoded.encoding == "utf-8-sig"
    assert checked.header[0] == "debtor_id"  # the BOM is not part of the first column name
    [row] = checked.validation.rows
    assert row.name == "Açaí Conceição"
    assert row.amount_cents == 123456


def test_values_are_normalised(tmp_path: Path) -> None:
    rows = [
        debt_row(1, cpf="529.982.247-25", phone="011 98765 4321", state=" sp "),
        debt_row(2, phone="+55 (21) 3456-7890", email="", state=""),
        debt_row(3, phone=""),
    ]
    first, second, third = validate_file(
        write_csv(tmp_path / "d.csv", rows), today=TODAY
    ).validation.rows
    assert (first.cpf, first.phone, first.state) == ("52998224725", "+5511987654321", "SP")
    assert (second.phone, second.email, second.state) == ("+552134567890", None, None)
    assert third.phone is None


def test_header_is_case_insensitive_trimmed_and_may_carry_extra_columns(tmp_path: Path) -> None:
    header = [" Debtor_ID ", *(name.upper() for name in HEADER[1:]), "notes"]
    text = ",".join(header) + "\n" + ",".join([*debt_row(1).values(), "ignored"]) + "\n"
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    [row] = validate_file(path, today=TODAY).validation.rows
    assert row.debtor_id == "D1"


def test_missing_columns_are_named_together(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [debt_row(1)], header=HEADER[:-2])
    with pytest.raises(ImportFileError, match=r"missing required column.*amount, due_date"):
        validate_file(path, today=TODAY)


def test_bad_cpf_on_line_7_is_reported_with_line_and_column(tmp_path: Path) -> None:
    rows = [debt_row(i) for i in range(1, 7)]
    rows[5]["cpf"] = "529.982.247-24"
    assert messages(write_csv(tmp_path / "d.csv", rows)) == [
        "line 7, column cpf: is not a valid CPF (check digits do not match)"
    ]


def test_every_bad_cell_of_a_line_is_reported(tmp_path: Path) -> None:
    row = debt_row(
        1,
        debtor_id="",
        name=" ",
        birth_date="2030-01-01",
        phone="(20) 1234",
        email="nobody",
        state="XX",
        contract="",
        amount="0,00",
        due_date="31/02/2026",
    )
    assert messages(write_csv(tmp_path / "d.csv", [row], delimiter=";")) == [
        "line 2, column debtor_id: is empty",
        "line 2, column name: is empty",
        "line 2, column birth_date: is in the future",
        "line 2, column phone: is not a Brazilian phone number",
        "line 2, column email: is not an e-mail address",
        "line 2, column state: is not a Brazilian state (UF such as SP)",
        "line 2, column contract: is empty",
        "line 2, column amount: must be greater than zero",
        "line 2, column due_date: no such date: 31/02/2026",
    ]


def test_amount_formats_and_mistakes(tmp_path: Path) -> None:
    rows = [
        debt_row(1, amount="R$ 1.234,56"),
        debt_row(2, amount="1.234,56"),
        debt_row(3, amount="1234.56"),
        debt_row(4, amount="12,345"),
        debt_row(5, amount="-10,00"),
        debt_row(6, amount="mil reais"),
    ]
    checked = validate_file(write_csv(tmp_path / "d.csv", rows, delimiter=";"), today=TODAY)
    assert [row.amount_cents for row in checked.validation.rows] == [123456] * 3
    assert [str(error) for error in checked.validation.errors] == [
        "line 5, column amount: use at most two decimal places",
        "line 6, column amount: must be greater than zero",
        "line 7, column amount: not an amount: 'mil reais'",
    ]


def test_same_debtor_with_another_cpf_and_repeated_contract_are_refused(tmp_path: Path) -> None:
    rows = [
        debt_row(1),
        debt_row(1, contract="C1b"),  # same debtor, second contract: fine
        debt_row(1, contract="C1c", cpf="52998224725"),
        debt_row(1, description="again"),
    ]
    assert messages(write_csv(tmp_path / "d.csv", rows)) == [
        "line 4, column cpf: differs from the CPF of the same debtor_id on line 2",
        "line 5, column contract: repeats line 2 (same debtor_id and contract)",
    ]


def test_boleto_and_telegram_id_are_checked_when_present(tmp_path: Path) -> None:
    boleto = make_boleto("001", date(2026, 10, 5), 123456, "0" * 24 + "1")
    header = (*HEADER, "telegram_id", "boleto")
    rows = [
        debt_row(1, boleto=boleto.formatted_line, telegram_id="123456789"),
        debt_row(2, boleto=boleto.line[:-1] + "0", telegram_id="@maria"),
        debt_row(3),
    ]
    checked = validate_file(write_csv(tmp_path / "d.csv", rows, header=header), today=TODAY)
    first, third = checked.validation.rows
    assert (first.boleto_line, first.telegram_id) == (boleto.line, "123456789")
    assert (third.boleto_line, third.telegram_id) == (None, None)
    errors = [str(error) for error in checked.validation.errors]
    assert errors[0] == "line 3, column telegram_id: is not a Telegram user id"
    assert errors[1].startswith("line 3, column boleto: general check digit is")


def test_broken_lines_are_reported_never_raised(tmp_path: Path) -> None:
    good = ",".join(debt_row(1).values())
    text = "\n".join(
        [
            ",".join(HEADER),
            good,
            "D2,only,three",
            "",
            ",".join(debt_row(3).values()) + ",surplus",
            "\x00\x01\x02 garbage ### ;;;",
            ",".join(debt_row(5).values()).replace("Pessoa", '"Pe"ssoa'),
            ",".join(debt_row(6).values()),
            "",
            "",
        ]
    )
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    checked = validate_file(path, today=TODAY)
    assert [row.line for row in checked.validation.rows] == [2, 8]
    errors = [str(error) for error in checked.validation.errors]
    assert errors[0] == "line 3: has 3 fields, the header has 11 (check the separator and quotes)"
    assert errors[1] == "line 4: empty line"
    assert errors[2].startswith("line 5: has 12 fields")
    assert errors[3].startswith("line 6: ")
    assert errors[4].startswith("line 7: not valid CSV")
    assert len(errors) == 5  # the blank lines at the end are not errors


def test_quoted_field_with_newline_keeps_its_first_line_number(tmp_path: Path) -> None:
    rows = [debt_row(1, description='"two\nlines"'), debt_row(2, cpf="123")]
    path = write_csv(tmp_path / "d.csv", rows)
    checked = validate_file(path, today=TODAY)
    assert checked.validation.rows[0].description == "two lines"
    assert [str(e) for e in checked.validation.errors] == [
        "line 4, column cpf: is not a valid CPF (check digits do not match)"
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "file is empty"),
        (b"\n\n", "file is empty"),
        (b"\xef\xbb\xbfdebtor_id\xff\n", "UTF-8 marker"),
        (b"\x81\x8d\x8f\x90\x9d", "neither UTF-8 nor Windows-1252"),
        (bytes(range(32, 127)) * 3, "missing required column"),
    ],
)
def test_unreadable_files_fail_as_a_whole(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=reason):
        validate_file(path, today=TODAY)
