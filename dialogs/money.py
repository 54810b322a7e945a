"""Money as integer cents at rest and `Decimal` in computation; never float.

Rounding is ROUND_HALF_UP to the cent, the way Brazilian banks and boletos round.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NewType

Cents = NewType("Cents", int)

CENT = Decimal("0.01")


def quantize(value: Decimal) -> Decimal:
    """Round a Decimal amount in reais to whole cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: Decimal) -> Cents:
    """Reais (Decimal) -> integer cents, rounding half up."""
    return Cents(int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def from_cents(cents: int) -> Decimal:
    """Integer cents -> Decimal reais with exactly two places."""
    return (Decimal(cents) / 100).quantize(CENT)


def split_evenly(total: Cents, parts: int) -> list[Cents]:
    """Split `total` into `parts` equal installments; the last absorbs the rounding."""
    if parts < 1:
        raise ValueError("parts must be at least 1")
    base = total // parts
    return [Cents(base)] * (parts - 1) + [Cents(total - base * (parts - 1))]
