"""`quita policy check FILE`: what an operator sees for the example and for a broken policy."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.commands.policy import INVALID_POLICY_EXIT, policy_group
from tests.dialogs.negotiation.support import EXAMPLE_POLICY


def check(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(policy_group, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_example_policy_prints_the_sample_debt_offers() -> None:
    code, out, _ = check(str(EXAMPLE_POLICY), "--today", "2026-11-25")
    assert code == 0
    assert "Policy OK" in out
    assert "Loja Exemplo Ltda — CNPJ 12.345.678/0001-95" in out
    assert "late fee 2%" in out
    assert "payment pix, boleto, card" in out
    assert "R$ 2.400,00 due 05/09/2026 (81 days late)" in out
    for line in ("Late fee (2%)", "R$ 48,00", "R$ 64,80", "R$ 2.512,80"):
        assert line in out
    assert "Cash offer: pay R$ 2.261,52 by 05/12/2026 (10% off = R$ 251,28)" in out
    for plan in ("2x: 2 × R$ 1.256,40", "3x: 3 × R$ 837,60", "6x: 6 × R$ 418,80"):
        assert plan in out
    assert "12x: 12 × R$ 209,40 — total R$ 2.512,80, first due 05/12/2026" in out


def test_sample_debt_can_be_chosen() -> None:
    code, out, _ = check(
        str(EXAMPLE_POLICY), "--principal", "150,00", "--days-late", "0", "--today", "2026-11-25"
    )
    assert code == 0
    assert "R$ 150,00 due 25/11/2026 (0 days late)" in out
    assert "Cash offer: pay R$ 150,00 by 05/12/2026 (0% off = R$ 0,00)" in out
    assert "3x: 3 × R$ 50,00" in out
    assert "6x" not in out


def test_without_today_uses_the_current_date() -> None:
    code, out, _ = check(str(EXAMPLE_POLICY))
    assert code == 0
    assert "(81 days late)" in out


def test_tiny_debt_has_no_installment_plans() -> None:
    code, out, _ = check(str(EXAMPLE_POLICY), "--principal", "60", "--days-late", "0")
    assert code == 0
    assert "Installment plans: none fit this debt" in out


def test_broken_policy_exits_2_naming_the_key(tmp_path: Path) -> None:
    broken = tmp_path / "policy.toml"
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    broken.write_text(text.replace("late_fee_percent = 2", "late_fee_percent = 3"), "utf-8")
    code, out, err = check(str(broken))
    assert code == INVALID_POLICY_EXIT == 2
    assert out == ""
    assert f"{broken}: charges.late_fee_percent: 3 is above the 2% CDC art. 52 §1 limit" in err


def test_bad_principal_is_a_usage_error() -> None:
    code, _, err = check(str(EXAMPLE_POLICY), "--principal", "muito")
    assert code == 2
    assert "is not an amount" in err
