"""Properties every offer keeps, whatever the policy and the debt (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.negotiation.charges import compute_charges
from dialogs.negotiation.offers import (
    Plan,
    cash_offer,
    nearest_plan,
    plan_for,
    required_down_payment,
    standard_plans,
)
from dialogs.negotiation.policy import Policy
from tests.dialogs.negotiation.support import policy_with

# Realistic debts (R$ 100 to R$ 100.000) most of the time, any positive amount otherwise.
totals = st.one_of(st.integers(10_000, 10_000_000), st.integers(min_value=1, max_value=10**9))
counts = st.one_of(st.integers(1, 12), st.integers(min_value=-2, max_value=70))
todays = st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    maximum = draw(st.integers(min_value=1, max_value=60))
    offers = "\n".join(
        [
            f"max_installments = {maximum}",
            f'min_installment = "{draw(st.integers(min_value=1, max_value=50_000)) / 100:.2f}"',
            f"min_down_payment_percent = {draw(st.sampled_from([0, 0, 10, 25, 50, 99]))}",
            "installment_monthly_interest_percent = "
            f"{draw(st.sampled_from(['0', '0', '0.99', '2', '5.5']))}",
            f"first_due_max_days = {draw(st.integers(min_value=0, max_value=30))}",
            f"plan_counts_shown = {[c for c in (2, 3, 6, 12) if c <= maximum]}",
            f'discount_applies_to = "{draw(st.sampled_from(["total", "charges"]))}"',
        ]
    )
    agent = f"max_installments = {maximum}\nsupervisor_max_installments = {maximum}"
    return policy_with(offers=offers, agent=agent)


def assert_within_policy(plan: Plan, total: int, policy: Policy, today: date) -> None:
    amounts = [item.amount_cents for item in plan.installments]
    offers = policy.offers
    assert sum(amounts) == plan.total_cents
    assert len(amounts) == plan.count <= offers.max_installments
    assert min(amounts) >= offers.min_installment_cents > 0
    assert [item.number for item in plan.installments] == list(range(1, plan.count + 1))
    assert today <= plan.first_due <= today + timedelta(days=offers.first_due_max_days)
    assert plan.installments[0].due_date == plan.first_due
    dues = [item.due_date for item in plan.installments]
    assert dues == sorted(set(dues))
    assert plan.interest_cents >= 0
    if offers.installment_monthly_interest_percent == 0:
        assert plan.total_cents == total
    assert plan.down_payment_cents >= 0
    if plan.count > 1:
        assert plan.down_payment_cents >= required_down_payment(total, policy)


@settings(max_examples=300)
@given(policies(), totals, counts, todays, st.one_of(st.integers(0, 10), st.integers(0, 40)))
def test_any_plan_returned_respects_the_policy(
    policy: Policy, total: int, count: int, today: date, first_due_in: int
) -> None:
    first_due = today + timedelta(days=first_due_in)
    plan = plan_for(total, count, policy, today, first_due=first_due)
    if plan is not None:
        assert plan.count == count
        assert_within_policy(plan, total, policy, today)
    elif count in range(1, policy.offers.max_installments + 1) and (
        first_due_in <= policy.offers.first_due_max_days
    ):
        # Refused only because a payment would fall below the minimum installment.
        assert total // count < policy.offers.min_installment_cents or (
            policy.offers.min_down_payment_percent > 0
            or policy.offers.installment_monthly_interest_percent > 0
        )


@settings(max_examples=200)
@given(policies(), totals, todays)
def test_standard_plans_are_all_valid_and_exist_when_the_debt_allows(
    policy: Policy, total: int, today: date
) -> None:
    plans = standard_plans(total, policy, today)
    for plan in plans:
        assert_within_policy(plan, total, policy, today)
        assert plan.count >= 2
    offers = policy.offers
    simple = offers.min_down_payment_percent == offers.installment_monthly_interest_percent == 0
    if simple and offers.max_installments >= 2 and total >= 2 * offers.min_installment_cents:
        assert plans


@settings(max_examples=200)
@given(policies(), totals, st.integers(1, 80), st.integers(-100, 100), todays)
def test_monthly_counter_offer_is_the_shortest_plan_that_fits(
    policy: Policy, total: int, share: int, jitter: int, today: date
) -> None:
    monthly = max(1, total // share + jitter)  # "I can pay about 1/share of it a month"
    plan = nearest_plan(total, policy, today, monthly_amount_cents=monthly)
    if plan is None:
        return
    assert_within_policy(plan, total, policy, today)
    assert max(item.amount_cents for item in plan.regular_installments) <= monthly
    for fewer in range(2, plan.count):
        shorter = plan_for(total, fewer, policy, today)
        assert (
            shorter is None or max(i.amount_cents for i in shorter.regular_installments) > monthly
        )


@settings(max_examples=200)
@given(policies(), totals, st.integers(min_value=1, max_value=100), todays)
def test_count_counter_offer_stays_inside_policy(
    policy: Policy, total: int, count: int, today: date
) -> None:
    plan = nearest_plan(total, policy, today, count=count)
    if count > policy.offers.max_installments:
        assert plan is None
    if plan is not None:
        assert_within_policy(plan, total, policy, today)


@settings(max_examples=200)
@given(policies(), totals, counts, todays)
def test_count_counter_offer_is_the_nearest_allowed_count(
    policy: Policy, total: int, count: int, today: date
) -> None:
    allowed = [
        plan
        for candidate in range(2, policy.offers.max_installments + 1)
        if (plan := plan_for(total, candidate, policy, today)) is not None
    ]
    plan = nearest_plan(total, policy, today, count=count)
    if count > policy.offers.max_installments or not allowed:
        assert plan is None
    else:
        nearest = min(allowed, key=lambda p: (abs(p.count - count), p.count))
        assert plan == nearest


@settings(max_examples=200)
@given(
    policies(),
    st.lists(
        st.tuples(st.integers(0, 10**8), st.integers(-30, 2_000), st.integers(0, 10**8)),
        max_size=5,
    ),
    todays,
)
def test_cash_offer_never_negative_and_never_more_than_owed(
    policy: Policy, debts: list[tuple[int, int, int]], today: date
) -> None:
    charges = [
        compute_charges(principal, today - timedelta(days=late), today, policy, paid)
        for principal, late, paid in debts
    ]
    offer = cash_offer(charges, policy, today)
    assert 0 <= offer.discount_cents <= offer.total_cents
    assert offer.pay_cents == offer.total_cents - offer.discount_cents >= 0
    assert Decimal(0) <= offer.discount_percent < 100
    if policy.offers.discount_applies_to == "charges":
        assert offer.discount_cents <= sum(item.charges_cents for item in charges)
    assert offer.due_date == today + timedelta(days=policy.offers.first_due_max_days)
