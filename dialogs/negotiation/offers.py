"""What the bot may offer: a cash discount, installment plans, answers to counter-offers.

Every plan is checked against the policy before it is shown, so the bot never promises what
the creditor did not allow; what does not fit returns None and the flow escalates to a person.
Installments always sum exactly to the plan total (the last one absorbs the rounding).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from dialogs.money import Cents, split_evenly, to_cents
from dialogs.negotiation.charges import Charges
from dialogs.negotiation.policy import OffersPolicy, Policy

if TYPE_CHECKING:
    from dialogs.flow.actions import PlannedInstallment

__all__ = [
    "MIN_PLAN_COUNT",
    "CashOffer",
    "Plan",
    "Role",
    "add_months",
    "agent_plan_allowed",
    "agreement_broken",
    "build_plan",
    "cash_offer",
    "discounted_total",
    "nearest_plan",
    "plan_for",
    "promise_date_allowed",
    "required_down_payment",
    "standard_plans",
    "valid_plans",
]

MIN_PLAN_COUNT = 2
"""A "plan" has at least two payments; one payment is the cash offer."""

Role = Literal["agent", "supervisor", "admin"]


@dataclass(frozen=True, slots=True)
class CashOffer:
    """Pay everything at once by `due_date` and get `discount_cents` off `total_cents`."""

    total_cents: int
    discount_cents: int
    pay_cents: int
    discount_percent: Decimal
    due_date: date


@dataclass(frozen=True, slots=True)
class Plan:
    """An installment plan; `installments[0]` is the down payment when `down_payment_cents`.

    `count` is the number of payments the debtor makes ("9x"), down payment included.
    `installment_cents` is the regular amount (the last may differ by rounding);
    `interest_cents` is what the plan costs beyond the debt (0 without installment interest).
    """

    count: int
    down_payment_cents: int
    installment_cents: int
    total_cents: int
    interest_cents: int
    installments: tuple[PlannedInstallment, ...]
    first_due: date

    @property
    def last_due(self) -> date:
        return self.installments[-1].due_date

    @property
    def regular_installments(self) -> tuple[PlannedInstallment, ...]:
        """The installments after the down payment (all of them when there is none)."""
        return self.installments[1:] if self.down_payment_cents else self.installments


# ------------------------------------------------------------------------------ cash offer


def cash_offer(charges: Sequence[Charges], policy: Policy, today: date) -> CashOffer:
    """The discount for paying in full, from the tier reached by the most overdue debt.

    The percent applies to the whole total or only to multa + juros, per
    `offers.discount_applies_to`; payment is due within `offers.first_due_max_days`.
    """
    offers = policy.offers
    total = sum(item.total_cents for item in charges)
    worst = max((item.days_late for item in charges), default=0)
    tier = offers.discount_tier(worst)
    percent = tier.percent if tier is not None else Decimal(0)
    if offers.discount_applies_to == "charges":
        base = sum(min(item.charges_cents, item.total_cents) for item in charges)
    else:
        base = total
    discount = min(base, _percent_of(base, percent))
    return CashOffer(
        total_cents=total,
        discount_cents=discount,
        pay_cents=total - discount,
        discount_percent=percent,
        due_date=today + timedelta(days=offers.first_due_max_days),
    )


def discounted_total(total_cents: int, percent: Decimal) -> int:
    """`total_cents` less `percent` (an agent's extra discount), never below zero."""
    return max(0, total_cents - _percent_of(total_cents, percent))


# ------------------------------------------------------------------------------ plan maths


def add_months(start: date, months: int) -> date:
    """Same day of the month `months` later, clamped to the month's last day (31/01 → 28/02)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# Plans are immutable and a function of their arguments alone, and a negotiation asks for the
# same ones again and again (every count for "em 10x", the buttons, the confirmation): cached,
# they cost a dictionary lookup instead of a date computation per installment.
@lru_cache(maxsize=8192)
def build_plan(
    total_cents: int,
    count: int,
    first_due: date,
    *,
    down_payment_cents: int = 0,
    monthly_interest_percent: Decimal = Decimal(0),
) -> Plan:
    """The arithmetic of a plan, with no policy limits (see `plan_for` for those).

    The down payment (if any) falls on `first_due`; the rest is split into monthly
    installments. Without interest they are equal with the last absorbing the rounding; with
    interest they follow the Price table (fixed PMT) and the last settles the balance.
    """
    # Imported here: `dialogs.flow` imports this module, so a top-level import would be a cycle.
    from dialogs.flow.actions import PlannedInstallment

    if total_cents <= 0:
        raise ValueError("total_cents must be positive")
    if count < 1:
        raise ValueError("count must be at least 1")
    if down_payment_cents < 0:
        raise ValueError("down_payment_cents must not be negative")
    if down_payment_cents and (count < 2 or down_payment_cents >= total_cents):
        raise ValueError("a down payment needs 2+ payments and must be less than the total")
    financed = total_cents - down_payment_cents
    periods = count - 1 if down_payment_cents else count
    if monthly_interest_percent > 0:
        regular = _price_table(financed, periods, monthly_interest_percent / 100)
    else:
        regular = [int(amount) for amount in split_evenly(Cents(financed), periods)]
    amounts = [down_payment_cents, *regular] if down_payment_cents else regular
    installments = tuple(
        PlannedInstallment(number, amount, due)
        for number, amount, due in zip(
            range(1, len(amounts) + 1), amounts, _due_dates(first_due, len(amounts)), strict=True
        )
    )
    plan_total = sum(amounts)
    return Plan(
        count=count,
        down_payment_cents=down_payment_cents,
        installment_cents=regular[0],
        total_cents=plan_total,
        interest_cents=plan_total - total_cents,
        installments=installments,
        first_due=first_due,
    )


@lru_cache(maxsize=1024)
def _due_dates(first_due: date, count: int) -> tuple[date, ...]:
    """Monthly due dates from `first_due`: the same for every debtor who agrees on one day,
    whatever they owe, so computed once per day and count (~2 µs a date)."""
    return tuple(add_months(first_due, index) for index in range(count))


def _price_table(principal_cents: int, periods: int, rate: Decimal) -> list[int]:
    """Fixed payments PMT = P·i / (1 − (1+i)^−n); the last one pays off what is left.

    Each month's interest is rounded half up to the cent, as on a bank's amortisation table.
    """
    principal = Decimal(principal_cents)
    payment = _round(principal * rate / (1 - (1 + rate) ** -periods))
    balance = principal_cents
    amounts: list[int] = []
    for period in range(1, periods + 1):
        interest = _round(Decimal(balance) * rate)
        if period == periods:
            amounts.append(balance + interest)
        else:
            amounts.append(payment)
            balance = balance + interest - payment
    return amounts


def _round(cents: Decimal) -> int:
    """A Decimal number of cents -> whole cents, half up."""
    return int(to_cents(cents / 100))


def _percent_of(cents: int, percent: Decimal) -> int:
    return _round(Decimal(cents) * percent / 100)


# ------------------------------------------------------------------------- policy checking


def required_down_payment(total_cents: int, policy: Policy) -> int:
    """The smallest down payment the policy accepts (rounded up, so it is never short)."""
    return _required_down_payment(total_cents, policy.offers)


def _required_down_payment(total_cents: int, offers: OffersPolicy) -> int:
    share = Decimal(total_cents) * offers.min_down_payment_percent / 100
    return int(share.to_integral_value(rounding=ROUND_CEILING))


def plan_for(
    total_cents: int,
    count: int,
    policy: Policy,
    today: date,
    *,
    first_due: date | None = None,
    down_payment_cents: int | None = None,
) -> Plan | None:
    """A `count`-payment plan for `total_cents`, or None if the policy does not allow it.

    Refused: count above `offers.max_installments`, a payment below `offers.min_installment`,
    a down payment below `offers.min_down_payment_percent`, a first due date outside
    today … today + `offers.first_due_max_days`. The first due date defaults to the last day
    of that window. Without an explicit down payment, one is added only when the policy
    requires it (the larger of the minimum and an equal share).
    """
    return _plan_for(total_cents, count, policy.offers, today, first_due, down_payment_cents)


def _plan_for(
    total_cents: int,
    count: int,
    offers: OffersPolicy,
    today: date,
    first_due: date | None = None,
    down_payment_cents: int | None = None,
) -> Plan | None:
    if total_cents <= 0 or not 1 <= count <= offers.max_installments:
        return None
    latest_first_due = today + timedelta(days=offers.first_due_max_days)
    first_due = latest_first_due if first_due is None else first_due
    if not today <= first_due <= latest_first_due:
        return None
    required = _required_down_payment(total_cents, offers)
    if down_payment_cents is None:
        down_payment_cents = max(required, total_cents // count) if required and count > 1 else 0
    if count == 1:
        if down_payment_cents not in (0, total_cents):
            return None
        down_payment_cents = 0
    elif down_payment_cents < required or not 0 <= down_payment_cents < total_cents:
        return None
    plan = build_plan(
        total_cents,
        count,
        first_due,
        down_payment_cents=down_payment_cents,
        monthly_interest_percent=offers.installment_monthly_interest_percent,
    )
    if min(item.amount_cents for item in plan.installments) < offers.min_installment_cents:
        return None
    return plan


def valid_plans(total_cents: int, policy: Policy, today: date) -> list[Plan]:
    """Every plan from 2x to `offers.max_installments` that the policy allows."""
    return list(_valid_plans(total_cents, policy.offers, today))


def standard_plans(total_cents: int, policy: Policy, today: date) -> list[Plan]:
    """The plans shown as buttons: `offers.plan_counts_shown` that fit, else the longest one."""
    return list(_standard_plans(total_cents, policy.offers, today))


# A negotiation asks for the same plans again and again (the buttons, "em 10x" looks at every
# count, the confirmation), each a policy check and a cached `build_plan` (~5 µs a plan): the
# lists are cached too, by the total, the day and the offers section (frozen, compared by
# value). Callers get a list of their own.
@lru_cache(maxsize=1024)
def _valid_plans(total_cents: int, offers: OffersPolicy, today: date) -> tuple[Plan, ...]:
    plans = (
        _plan_for(total_cents, count, offers, today)
        for count in range(MIN_PLAN_COUNT, offers.max_installments + 1)
    )
    return tuple(plan for plan in plans if plan is not None)


@lru_cache(maxsize=1024)
def _standard_plans(total_cents: int, offers: OffersPolicy, today: date) -> tuple[Plan, ...]:
    shown = tuple(
        plan
        for count in offers.plan_counts_shown
        if (plan := _plan_for(total_cents, count, offers, today)) is not None
    )
    return shown or _valid_plans(total_cents, offers, today)[-1:]


def nearest_plan(
    total_cents: int,
    policy: Policy,
    today: date,
    *,
    monthly_amount_cents: int | None = None,
    count: int | None = None,
) -> Plan | None:
    """Answer a counter-offer with the closest plan inside the policy, or None to escalate.

    Give exactly one of:
    - `monthly_amount_cents` ("consigo 300 por mês"): the plan with the fewest payments whose
      regular installments are all ≤ that amount;
    - `count` ("em 10x"): that count if allowed, else the nearest allowed count (ties go to
      fewer payments); None when the count is above `offers.max_installments`.
    """
    if (monthly_amount_cents is None) == (count is None):
        raise ValueError("give exactly one of monthly_amount_cents or count")
    offers = policy.offers
    if count is not None:
        if count > offers.max_installments:
            return None
        return _nearest_by_count(total_cents, count, offers, today)
    assert monthly_amount_cents is not None
    return _fewest_payments_within(total_cents, monthly_amount_cents, offers, today)


# A counter-offer needs one plan, so the counts are tried nearest first and the search stops
# at the first the policy allows: one plan built, not every count's (11 by default, ~20 µs
# each, for an amount nobody else owes).
def _nearest_by_count(
    total_cents: int, count: int, offers: OffersPolicy, today: date
) -> Plan | None:
    """The allowed count nearest `count`; of two as near, the one with fewer payments."""
    lowest, highest = MIN_PLAN_COUNT, offers.max_installments
    for distance in range(max(count - lowest, highest - count) + 1):
        for candidate in (count - distance, count + distance) if distance else (count,):
            if lowest <= candidate <= highest and (
                plan := _plan_for(total_cents, candidate, offers, today)
            ):
                return plan
    return None


def _fewest_payments_within(
    total_cents: int, monthly_amount_cents: int, offers: OffersPolicy, today: date
) -> Plan | None:
    """The allowed plan with the fewest payments whose regular ones fit `monthly_amount`."""
    for candidate in range(MIN_PLAN_COUNT, offers.max_installments + 1):
        plan = _plan_for(total_cents, candidate, offers, today)
        if plan is not None and (
            max(item.amount_cents for item in plan.regular_installments) <= monthly_amount_cents
        ):
            return plan
    return None


def agent_plan_allowed(
    plan: Plan, extra_discount_percent: Decimal, policy: Policy, role: str
) -> bool:
    """May a person of `role` grant this plan with this extra discount?

    Agents and supervisors may go beyond the bot's offers up to their own limits in
    `[agent]` (admins have supervisor authority); every payment must still respect
    `offers.min_installment` and the plan must add up.
    """
    limits = policy.agent
    if role == "agent":
        max_discount, max_count = limits.max_extra_discount_percent, limits.max_installments
    elif role in ("supervisor", "admin"):
        max_discount = limits.supervisor_max_extra_discount_percent
        max_count = limits.supervisor_max_installments
    else:
        return False
    amounts = [item.amount_cents for item in plan.installments]
    return (
        Decimal(0) <= extra_discount_percent <= max_discount
        and 1 <= plan.count <= max_count
        and len(amounts) == plan.count
        and sum(amounts) == plan.total_cents
        and min(amounts) >= policy.offers.min_installment_cents
    )


# --------------------------------------------------------------------- promises and breaches


def promise_date_allowed(promised: date, today: date, policy: Policy) -> bool:
    """A promise to pay ("recebo dia 10") is accepted from today to `offers.promise_max_days`."""
    return today <= promised <= today + timedelta(days=policy.offers.promise_max_days)


def agreement_broken(unpaid_due_date: date, today: date, policy: Policy) -> bool:
    """An installment unpaid `offers.agreement_grace_days` after it fell due breaks the deal."""
    return today > unpaid_due_date + timedelta(days=policy.offers.agreement_grace_days)
