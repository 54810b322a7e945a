"""Read-only facts the runtime hands the dialog: who the debtor is and what they owe.

The dialog never queries storage; the service loads these and passes them in (inside events
or the context), so `step` stays a pure function of its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class DebtSnapshot:
    debt_id: int
    contract: str
    description: str
    due_date: date
    principal_cents: int
    paid_cents: int = 0
    status: str = "open"  # open | negotiating | agreement | paid | disputed


@dataclass(frozen=True, slots=True)
class InstallmentSnapshot:
    number: int
    amount_cents: int
    due_date: date
    status: str  # pending | paid | late | cancelled
    paid_cents: int = 0


@dataclass(frozen=True, slots=True)
class AgreementSnapshot:
    agreement_id: int
    payment_channel: str  # pix | boleto | card
    status: str  # active | completed | broken | cancelled
    total_cents: int
    installments: tuple[InstallmentSnapshot, ...]


@dataclass(frozen=True, slots=True)
class DebtorSnapshot:
    debtor_id: int
    name: str
    cpf: str  # eleven digits
    birth_date: date | None
    state: str | None = None  # UF, for holidays and contact windows
    debts: tuple[DebtSnapshot, ...] = ()
    agreements: tuple[AgreementSnapshot, ...] = field(default=())

    @property
    def first_name(self) -> str:
        return self.name.split()[0].title() if self.name.strip() else ""
