"""What is owed and what may be offered, computed from the debtor snapshot and the policy.

Thin glue over `dialogs.negotiation` so that handlers speak in `ChosenPlan`s and totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dialogs.flow.actions import PlannedInstallment
from dialogs.flow.context import ChosenPlan, Context
from dialogs.flow.snapshots import AgreementSnapshot, DebtSnapshot, InstallmentSnapshot
from dialogs.negotiation.charges import Charges, compute_charges
from dialogs.negotiation.offers import CashOffer, Plan, cash_offer, plan_for, standard_plans
from dialogs.negotiation.policy import Policy

OPEN_DEBT_STATUSES = frozenset({"open", "negotiating"})
SETTLED_INSTALLMENT_STATUSES = frozenset({"paid", "cancelled"})


@dataclass(frozen=True, slots=True)
class OpenDebt:
    debt: DebtSnapshot
    charges: Charges


def open_debts(context: Context, policy: Policy, today: date) -> tuple[OpenDebt, ...]:
    """Debts still to negotiate, updated to today (agreements and disputes are excluded)."""
    if context.debtor is None:
        return ()
    items = (
        OpenDebt(
            debt,
            compute_charges(debt.principal_cents, debt.due_date, today, policy, debt.paid_cents),
        )
        for debt in context.debtor.debts
        if debt.status in OPEN_DEBT_STATUSES
    )
    return tuple(item for item in items if item.charges.total_cents > 0)


def grand_total(debts: tuple[OpenDebt, ...]) -> int:
    return sum(item.charges.total_cents for item in debts)


def cash(debts: tuple[OpenDebt, ...], policy: Policy, today: date) -> CashOffer:
    return cash_offer([item.charges for item in debts], policy, today)


def plans(debts: tuple[OpenDebt, ...], policy: Policy, today: date) -> list[Plan]:
    total = grand_total(debts)
    return standard_plans(total, policy, today) if total > 0 else []


def plan_with(debts: tuple[OpenDebt, ...], count: int, policy: Policy, today: date) -> Plan | None:
    total = grand_total(debts)
    return plan_for(total, count, policy, today) if total > 0 and count >= 2 else None


def chosen(plan: Plan) -> ChosenPlan:
    return ChosenPlan(
        count=plan.count,
        installment_cents=plan.installment_cents,
        total_cents=plan.total_cents,
        first_due=plan.first_due,
        installments=plan.installments,
        down_payment_cents=plan.down_payment_cents,
    )


def chosen_cash(offer: CashOffer) -> ChosenPlan:
    return ChosenPlan(
        count=1,
        installment_cents=offer.pay_cents,
        total_cents=offer.pay_cents,
        first_due=offer.due_date,
        installments=(PlannedInstallment(1, offer.pay_cents, offer.due_date),),
        discount_cents=offer.discount_cents,
        cash=True,
    )


def unpaid_installments(
    agreement: AgreementSnapshot, *, also_paid: int | None = None
) -> tuple[InstallmentSnapshot, ...]:
    """Installments still to pay, in order; `also_paid` excludes one just confirmed."""
    return tuple(
        item
        for item in sorted(agreement.installments, key=lambda i: i.number)
        if item.status not in SETTLED_INSTALLMENT_STATUSES and item.number != also_paid
    )


def left_to_pay(items: tuple[InstallmentSnapshot, ...]) -> int:
    return sum(max(0, item.amount_cents - item.paid_cents) for item in items)
