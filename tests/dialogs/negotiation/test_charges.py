"""Charges: the amounts the debtor sees in the balance (multa, juros pro rata die, total)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.negotiation.charges import compute_charges
from dialogs.negotiation.policy import Policy, default_policy
from tests.dialogs.negotiation.support import DUE, PRINCIPAL, SAMPLE_TOTAL, TODAY, policy_with


def test_conversation_reference_vector(policy: Policy) -> None:
    """R$ 2.400,00 due 05/09/2026, on 25/11/2026: 81 days, multa 48,00, juros 64,80."""
    charges = compute_charges(PRINCIPAL, DUE, TODAY, policy)
    assert charges.days_late == 81
    assert charges.late_fee_cents == 4_800
    assert charges.interest_cents == 6_480
    assert charges.paid_cents == 0
    assert charges.total_cents == SAMPLE_TOTAL
    assert charges.charges_cents == 11_280


@pytest.mark.parametrize("today", [DUE - timedelta(days=5), DUE])
def test_nothing_is_added_before_or_on_the_due_date(policy: Policy, today: date) -> None:
    charges = compute_charges(PRINCIPAL, DUE, today, policy)
    assert (charges.days_late, charges.late_fee_cents, charges.interest_cents) == (0, 0, 0)
    assert charges.total_cents == PRINCIPAL
    assert not charges.is_late


def test_one_day_late_costs_the_fee_and_one_day_of_interest(policy: Policy) -> None:
    charges = compute_charges(PRINCIPAL, DUE, DUE + timedelta(days=1), policy)
    assert charges.late_fee_cents == 4_800
    assert charges.interest_cents == 80  # 2400 × 1% / 30
    assert charges.is_late


def test_grace_period_waives_charges_then_counts_from_the_due_date() -> None:
    policy = policy_with(charges="grace_days = 5")
    within = compute_charges(PRINCIPAL, DUE, DUE + timedelta(days=5), policy)
    assert within.days_late == 5
    assert within.total_cents == PRINCIPAL
    after = compute_charges(PRINCIPAL, DUE, DUE + timedelta(days=6), policy)
    assert after.late_fee_cents == 4_800
    assert after.interest_cents == 480  # six days, not one


def test_interest_rounds_half_up_to_the_cent() -> None:
    policy = policy_with(charges="late_fee_percent = 0\nmonthly_interest_percent = 1")
    # 150 cents × 1% × 1 / 30 = 0.05 cents -> 0; 4_500 cents × 1% × 1/30 = 1.5 cents -> 2.
    assert compute_charges(150, DUE, DUE + timedelta(days=1), policy).interest_cents == 0
    assert compute_charges(4_500, DUE, DUE + timedelta(days=1), policy).interest_cents == 2


def test_payments_reduce_the_total_but_never_below_zero(policy: Policy) -> None:
    partial = compute_charges(PRINCIPAL, DUE, TODAY, policy, paid_cents=100_000)
    assert partial.total_cents == SAMPLE_TOTAL - 100_000
    overpaid = compute_charges(PRINCIPAL, DUE, TODAY, policy, paid_cents=999_999)
    assert overpaid.total_cents == 0


def test_rates_are_exact_decimals() -> None:
    policy = policy_with(charges="late_fee_percent = 1.5\nmonthly_interest_percent = 0.33")
    charges = compute_charges(100_000, DUE, DUE + timedelta(days=30), policy)
    assert policy.charges.monthly_interest_percent == Decimal("0.33")
    assert charges.late_fee_cents == 1_500
    assert charges.interest_cents == 330


def test_negative_amounts_are_refused(policy: Policy) -> None:
    with pytest.raises(ValueError, match="principal"):
        compute_charges(-1, DUE, TODAY, policy)
    with pytest.raises(ValueError, match="paid"):
        compute_charges(1, DUE, TODAY, policy, paid_cents=-1)


principals = st.integers(min_value=0, max_value=10**10)
days = st.integers(min_value=-400, max_value=3_650)
percents = st.decimals(min_value=0, max_value=2, places=2)
interest = st.decimals(min_value=0, max_value=20, places=2)


@given(principals, days, st.integers(min_value=0, max_value=10**10), percents, interest)
def test_no_part_is_ever_negative_and_the_parts_add_up(
    principal: int, late_by: int, paid: int, fee: Decimal, rate: Decimal
) -> None:
    policy = policy_with(charges=f"late_fee_percent = {fee}\nmonthly_interest_percent = {rate}")
    charges = compute_charges(principal, DUE, DUE + timedelta(days=late_by), policy, paid)
    assert min(charges.late_fee_cents, charges.interest_cents, charges.total_cents) >= 0
    assert charges.days_late == max(0, late_by)
    owed = principal + charges.late_fee_cents + charges.interest_cents
    assert charges.total_cents == max(0, owed - paid)
    assert charges.late_fee_cents <= principal * fee / 100 + Decimal("0.5")


@given(principals, days, st.integers(min_value=1, max_value=400))
def test_charges_never_shrink_as_days_go_by(principal: int, late_by: int, more: int) -> None:
    policy = default_policy()
    earlier = compute_charges(principal, DUE, DUE + timedelta(days=late_by), policy)
    later = compute_charges(principal, DUE, DUE + timedelta(days=late_by + more), policy)
    assert later.late_fee_cents >= earlier.late_fee_cents
    assert later.interest_cents >= earlier.interest_cents
    assert later.total_cents >= earlier.total_cents


def test_a_policy_with_other_rates_is_not_answered_from_an_earlier_policy() -> None:
    """Charges are cached: the same debt and day under new rates gives the new amounts."""
    before = compute_charges(PRINCIPAL, DUE, TODAY, default_policy())
    cheaper = policy_with(charges="late_fee_percent = 1\nmonthly_interest_percent = 0.5")
    after = compute_charges(PRINCIPAL, DUE, TODAY, cheaper)
    assert (before.late_fee_cents, before.interest_cents) == (4_800, 6_480)
    assert (after.late_fee_cents, after.interest_cents) == (2_400, 3_240)
    assert compute_charges(PRINCIPAL, DUE, TODAY, default_policy()) == before
