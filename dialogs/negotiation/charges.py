"""What a debt costs on a given day: principal, multa, juros simples pro rata die.

The debtor sees every part separately (CDC art. 52: transparency about charges), so the
breakdown is kept, not just the total. Rates come from the policy; `today` is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from dialogs.money import to_cents
from dialogs.negotiation.policy import ChargesPolicy, Policy

__all__ = ["DAYS_PER_MONTH", "Charges", "compute_charges", "days_late"]

DAYS_PER_MONTH = 30
"""Interest accrues per day on 30-day commercial months (pro rata die)."""


@dataclass(frozen=True, slots=True)
class Charges:
    """One debt's updated amounts in cents; `total_cents` is what is still owed."""

    principal_cents: int
    late_fee_cents: int
    interest_cents: int
    paid_cents: int
    total_cents: int
    days_late: int

    @property
    def charges_cents(self) -> int:
        """Multa plus juros: the part a "discount on charges" may forgive."""
        return self.late_fee_cents + self.interest_cents

    @property
    def is_late(self) -> bool:
        return self.charges_cents > 0


def days_late(due_date: date, today: date) -> int:
    """Calendar days since `due_date`; 0 on or before it."""
    return max(0, (today - due_date).days)


def compute_charges(
    principal_cents: int,
    due_date: date,
    today: date,
    policy: Policy,
    paid_cents: int = 0,
) -> Charges:
    """Update one debt to `today`.

    Beyond the grace period: multa = late fee % of the principal, once; juros = principal ×
    monthly % × days late / 30. Each rounded half up to the cent. Payments already made are
    subtracted; the total never goes below zero.
    """
    if principal_cents < 0:
        raise ValueError("principal_cents must not be negative")
    if paid_cents < 0:
        raise ValueError("paid_cents must not be negative")
    return _charges(principal_cents, due_date, today, policy.charges, paid_cents)


# Every step that looks at the debts updates each one to today (the balance, the plans, the
# agreement), so a conversation asks for the same debt on the same day again and again: a
# dictionary lookup instead of the Decimal arithmetic (~10 µs). The result depends on these
# arguments alone (the rules are a frozen section of the policy, compared by value).
@lru_cache(maxsize=4096)
def _charges(
    principal_cents: int, due_date: date, today: date, rules: ChargesPolicy, paid_cents: int
) -> Charges:
    late_days = days_late(due_date, today)
    late_fee = interest = 0
    if late_days > rules.grace_days:
        principal = Decimal(principal_cents)
        late_fee = _round_cents(principal * rules.late_fee_percent / 100)
        interest = _round_cents(
            principal * rules.monthly_interest_percent * late_days / (100 * DAYS_PER_MONTH)
        )
    total = max(0, principal_cents + late_fee + interest - paid_cents)
    return Charges(
        principal_cents=principal_cents,
        late_fee_cents=late_fee,
        interest_cents=interest,
        paid_cents=paid_cents,
        total_cents=total,
        days_late=late_days,
    )


def _round_cents(cents: Decimal) -> int:
    """An amount already in cents (Decimal) -> whole cents, half up."""
    return int(to_cents(cents / 100))
