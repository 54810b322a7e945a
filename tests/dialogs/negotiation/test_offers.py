"""Offers: cash discount, installment plans, counter-offers and an agent's authority."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from dialogs.flow.actions import PlannedInstallment
from dialogs.negotiation.charges import compute_charges
from dialogs.negotiation.offers import (
    add_months,
    agent_plan_allowed,
    agreement_broken,
    build_plan,
    cash_offer,
    discounted_total,
    nearest_plan,
    plan_for,
    promise_date_allowed,
    standard_plans,
    valid_plans,
)
from dialogs.negotiation.policy import Policy
from tests.dialogs.negotiation.support import DUE, PRINCIPAL, SAMPLE_TOTAL, TODAY, policy_with

FIRST_DUE = date(2026, 12, 5)  # TODAY + first_due_max_days (10)


# ----------------------------------------------------------------------- golden plan amounts


@pytest.mark.parametrize(
    ("count", "installment"),
    [(2, 125_640), (3, 83_760), (6, 41_880), (9, 27_920), (12, 20_940)],
)
def test_sample_debt_plans_match_the_conversation_reference(
    policy: Policy, count: int, installment: int
) -> None:
    plan = plan_for(SAMPLE_TOTAL, count, policy, TODAY)
    assert plan is not None
    assert [item.amount_cents for item in plan.installments] == [installment] * count
    assert plan.installment_cents == installment
    assert plan.total_cents == SAMPLE_TOTAL
    assert plan.interest_cents == 0
    assert plan.down_payment_cents == 0
    assert plan.first_due == FIRST_DUE


def test_installments_are_monthly_and_numbered(policy: Policy) -> None:
    plan = plan_for(SAMPLE_TOTAL, 3, policy, TODAY)
    assert plan is not None
    assert plan.installments == (
        PlannedInstallment(1, 83_760, date(2026, 12, 5)),
        PlannedInstallment(2, 83_760, date(2027, 1, 5)),
        PlannedInstallment(3, 83_760, date(2027, 2, 5)),
    )
    assert plan.last_due == date(2027, 2, 5)


def test_the_last_installment_absorbs_the_rounding(policy: Policy) -> None:
    plan = plan_for(100_000, 3, policy, TODAY)
    assert plan is not None
    assert [item.amount_cents for item in plan.installments] == [33_333, 33_333, 33_334]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        (date(2027, 12, 30), 2, date(2028, 2, 29)),
        (date(2026, 11, 5), 14, date(2028, 1, 5)),
    ],
)
def test_monthly_dates_keep_the_day_and_clamp_to_month_end(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected


def test_price_table_vector() -> None:
    """R$ 1.000,00 in 3x at 2% a month: PMT R$ 346,75; the last one settles the balance."""
    plan = build_plan(100_000, 3, TODAY, monthly_interest_percent=Decimal(2))
    assert plan.installment_cents == 34_675
    amounts = [item.amount_cents for item in plan.installments]
    assert amounts[:2] == [34_675, 34_675]
    assert abs(amounts[2] - 34_675) <= 3
    assert sum(amounts) == plan.total_cents
    assert plan.interest_cents == plan.total_cents - 100_000 > 0


def test_policy_installment_interest_uses_the_price_table() -> None:
    policy = policy_with(offers="installment_monthly_interest_percent = 2")
    plan = plan_for(100_000, 3, policy, TODAY)
    assert plan is not None
    assert plan.installment_cents == 34_675
    assert plan.total_cents > 100_000


# ------------------------------------------------------------------------ policy limits


def test_plans_outside_policy_are_refused(policy: Policy) -> None:
    assert plan_for(SAMPLE_TOTAL, 13, policy, TODAY) is None  # above max_installments
    assert plan_for(9_000, 2, policy, TODAY) is None  # 2x R$ 45 < R$ 50 minimum
    assert plan_for(10_000, 2, policy, TODAY) is not None  # 2x R$ 50 is fine
    assert plan_for(SAMPLE_TOTAL, 0, policy, TODAY) is None
    assert plan_for(0, 2, policy, TODAY) is None


def test_first_due_date_must_be_inside_the_window(policy: Policy) -> None:
    early = plan_for(SAMPLE_TOTAL, 6, policy, TODAY, first_due=TODAY)
    assert early is not None
    assert early.first_due == TODAY
    assert plan_for(SAMPLE_TOTAL, 6, policy, TODAY, first_due=FIRST_DUE) is not None
    assert plan_for(SAMPLE_TOTAL, 6, policy, TODAY, first_due=FIRST_DUE + timedelta(1)) is None
    assert plan_for(SAMPLE_TOTAL, 6, policy, TODAY, first_due=TODAY - timedelta(1)) is None


def test_required_down_payment_comes_first() -> None:
    policy = policy_with(offers="min_down_payment_percent = 20")
    plan = plan_for(SAMPLE_TOTAL, 6, policy, TODAY)
    assert plan is not None
    assert plan.down_payment_cents == 50_256  # 20% of R$ 2.512,80
    assert plan.installments[0].amount_cents == 50_256
    assert plan.installments[0].due_date == FIRST_DUE
    assert [item.amount_cents for item in plan.regular_installments] == [40_204] * 4 + [40_208]
    assert plan.total_cents == SAMPLE_TOTAL
    assert plan_for(SAMPLE_TOTAL, 6, policy, TODAY, down_payment_cents=50_255) is None
    bigger = plan_for(SAMPLE_TOTAL, 6, policy, TODAY, down_payment_cents=100_000)
    assert bigger is not None
    assert bigger.installments[1].amount_cents == 30_256


def test_down_payment_equal_share_when_larger_than_the_minimum() -> None:
    policy = policy_with(offers="min_down_payment_percent = 10")
    plan = plan_for(SAMPLE_TOTAL, 2, policy, TODAY)
    assert plan is not None
    assert [item.amount_cents for item in plan.installments] == [125_640, 125_640]


# ------------------------------------------------------------------- plans shown as buttons


def test_standard_plans_are_the_configured_counts(policy: Policy) -> None:
    plans = standard_plans(SAMPLE_TOTAL, policy, TODAY)
    assert [(plan.count, plan.installment_cents) for plan in plans] == [
        (2, 125_640),
        (3, 83_760),
        (6, 41_880),
        (12, 20_940),
    ]


def test_small_debts_show_only_the_counts_that_fit(policy: Policy) -> None:
    assert [plan.count for plan in standard_plans(20_000, policy, TODAY)] == [2, 3]


def test_when_no_configured_count_fits_the_longest_valid_plan_is_shown() -> None:
    policy = policy_with(offers="plan_counts_shown = [6, 12]")
    plans = standard_plans(20_000, policy, TODAY)
    assert [(plan.count, plan.installment_cents) for plan in plans] == [(4, 5_000)]


def test_no_plan_for_a_debt_below_two_minimum_installments(policy: Policy) -> None:
    assert standard_plans(9_999, policy, TODAY) == []


def test_a_new_policy_changes_the_plans_shown_for_the_same_debt(policy: Policy) -> None:
    """Plan lists are cached: the same total and day under another policy gives its plans."""
    assert [plan.count for plan in standard_plans(SAMPLE_TOTAL, policy, TODAY)] == [2, 3, 6, 12]
    fewer = policy_with(offers="max_installments = 6\nplan_counts_shown = [2, 4]")
    assert [plan.count for plan in standard_plans(SAMPLE_TOTAL, fewer, TODAY)] == [2, 4]
    assert [plan.count for plan in valid_plans(SAMPLE_TOTAL, fewer, TODAY)] == [2, 3, 4, 5, 6]
    assert len(valid_plans(SAMPLE_TOTAL, policy, TODAY)) == 11


def test_the_plan_lists_belong_to_their_caller(policy: Policy) -> None:
    shown = standard_plans(SAMPLE_TOTAL, policy, TODAY)
    shown.clear()
    valid = valid_plans(SAMPLE_TOTAL, policy, TODAY)
    valid.pop()
    assert len(standard_plans(SAMPLE_TOTAL, policy, TODAY)) == 4
    assert len(valid_plans(SAMPLE_TOTAL, policy, TODAY)) == 11


# --------------------------------------------------------------------------- counter-offers


def test_monthly_amount_gets_the_fewest_installments_that_fit(policy: Policy) -> None:
    """ "consigo uns 300 por mês" on R$ 2.512,80 -> 9x of R$ 279,20."""
    plan = nearest_plan(SAMPLE_TOTAL, policy, TODAY, monthly_amount_cents=30_000)
    assert plan is not None
    assert (plan.count, plan.installment_cents) == (9, 27_920)


def test_monthly_amount_exactly_an_installment_is_enough(policy: Policy) -> None:
    plan = nearest_plan(SAMPLE_TOTAL, policy, TODAY, monthly_amount_cents=41_880)
    assert plan is not None
    assert plan.count == 6


def test_monthly_amount_counts_the_rounded_last_installment(policy: Policy) -> None:
    """R$ 1.000,00 in 3x ends with R$ 333,34, so R$ 333,33 a month needs 4x."""
    plan = nearest_plan(100_000, policy, TODAY, monthly_amount_cents=33_333)
    assert plan is not None
    assert plan.count == 4


@pytest.mark.parametrize("monthly", [2_000, 4_999, 20_000])
def test_monthly_amount_outside_policy_escalates(policy: Policy, monthly: int) -> None:
    """Below the minimum installment, or needing more than 12x (R$ 200 × 12 < 2.512,80)."""
    assert nearest_plan(SAMPLE_TOTAL, policy, TODAY, monthly_amount_cents=monthly) is None


def test_requested_count_inside_policy_is_granted(policy: Policy) -> None:
    plan = nearest_plan(SAMPLE_TOTAL, policy, TODAY, count=10)
    assert plan is not None
    assert (plan.count, [item.amount_cents for item in plan.installments][-1]) == (10, 25_128)


def test_requested_count_above_maximum_escalates(policy: Policy) -> None:
    assert nearest_plan(SAMPLE_TOTAL, policy, TODAY, count=48) is None


def test_requested_count_below_minimum_installment_gets_the_nearest(policy: Policy) -> None:
    plan = nearest_plan(20_000, policy, TODAY, count=10)
    assert plan is not None
    assert plan.count == 4


def test_counter_offer_needs_exactly_one_kind(policy: Policy) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        nearest_plan(SAMPLE_TOTAL, policy, TODAY)
    with pytest.raises(ValueError, match="exactly one"):
        nearest_plan(SAMPLE_TOTAL, policy, TODAY, count=3, monthly_amount_cents=30_000)


# ------------------------------------------------------------------------------ cash offer


@pytest.mark.parametrize(
    ("days_late", "percent"),
    [(0, 0), (1, 5), (30, 5), (31, 10), (90, 10), (91, 15), (180, 15), (181, 20), (2_000, 20)],
)
def test_cash_discount_tiers_by_days_late(policy: Policy, days_late: int, percent: int) -> None:
    charges = compute_charges(PRINCIPAL, DUE, DUE + timedelta(days=days_late), policy)
    offer = cash_offer([charges], policy, TODAY)
    assert offer.discount_percent == percent
    assert offer.discount_cents == (charges.total_cents * percent + 50) // 100
    assert offer.pay_cents == charges.total_cents - offer.discount_cents


def test_cash_offer_for_the_sample_debt(policy: Policy) -> None:
    offer = cash_offer([compute_charges(PRINCIPAL, DUE, TODAY, policy)], policy, TODAY)
    assert offer.total_cents == SAMPLE_TOTAL
    assert offer.discount_cents == 25_128
    assert offer.pay_cents == 226_152
    assert offer.due_date == FIRST_DUE


def test_discount_on_charges_only_keeps_the_principal() -> None:
    policy = policy_with(
        offers='discount_applies_to = "charges"\n'
        "cash_discount_tiers = [{ min_days_late = 60, percent = 100 }]"
    )
    offer = cash_offer([compute_charges(PRINCIPAL, DUE, TODAY, policy)], policy, TODAY)
    assert offer.discount_cents == 11_280
    assert offer.pay_cents == PRINCIPAL


def test_tier_follows_the_most_overdue_debt_and_totals_add_up(policy: Policy) -> None:
    recent = compute_charges(50_000, TODAY - timedelta(days=10), TODAY, policy)
    old = compute_charges(PRINCIPAL, DUE, TODAY, policy)
    offer = cash_offer([recent, old], policy, TODAY)
    assert offer.discount_percent == 10
    assert offer.total_cents == recent.total_cents + old.total_cents


def test_no_debts_no_discount(policy: Policy) -> None:
    offer = cash_offer([], policy, TODAY)
    assert (offer.total_cents, offer.discount_cents, offer.pay_cents) == (0, 0, 0)


# ------------------------------------------------------------------------- agent authority


def test_agents_may_go_a_little_beyond_the_bot(policy: Policy) -> None:
    total = discounted_total(SAMPLE_TOTAL, Decimal(5))
    assert total == 238_716
    plan_15x = build_plan(total, 15, FIRST_DUE)
    assert agent_plan_allowed(plan_15x, Decimal(5), policy, "agent")
    assert not agent_plan_allowed(plan_15x, Decimal(6), policy, "agent")
    plan_20x = build_plan(total, 20, FIRST_DUE)
    assert not agent_plan_allowed(plan_20x, Decimal(0), policy, "agent")
    assert agent_plan_allowed(plan_20x, Decimal(15), policy, "supervisor")
    assert agent_plan_allowed(plan_20x, Decimal(15), policy, "admin")
    assert not agent_plan_allowed(plan_20x, Decimal(-1), policy, "supervisor")
    assert not agent_plan_allowed(plan_20x, Decimal(0), policy, "guest")


def test_agents_still_respect_the_minimum_installment(policy: Policy) -> None:
    tiny = build_plan(10_000, 3, FIRST_DUE)  # R$ 33,33 < R$ 50,00
    assert not agent_plan_allowed(tiny, Decimal(0), policy, "supervisor")


# ------------------------------------------------------------------- promises and breaches


def test_promise_dates_within_the_policy_window(policy: Policy) -> None:
    assert promise_date_allowed(TODAY, TODAY, policy)
    assert promise_date_allowed(TODAY + timedelta(days=15), TODAY, policy)
    assert not promise_date_allowed(TODAY + timedelta(days=16), TODAY, policy)
    assert not promise_date_allowed(TODAY - timedelta(days=1), TODAY, policy)


def test_agreement_breaks_only_after_the_grace_days(policy: Policy) -> None:
    due = date(2026, 12, 5)
    assert not agreement_broken(due, due + timedelta(days=5), policy)
    assert agreement_broken(due, due + timedelta(days=6), policy)
