"""Job kinds the bot writes first for, and the refs their jobs carry (pure, no I/O).

The runtime plans and schedules these jobs (`bot.cadence`); the dialog words the message when
`ReminderDue(kind, ref, due_date)` arrives. Refs hold ids and steps, never personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

INSTALLMENT_REMINDER: Final = "installment_reminder"
OUTREACH: Final = "outreach"
PROMISE_REMINDER: Final = "promise_reminder"
PROMISE_FOLLOWUP: Final = "promise_followup"
PROMISE_FOLLOWUP_TEMPLATE: Final = "promise_followup"  # key of the policy's [[templates]]


@dataclass(frozen=True, slots=True)
class InstallmentRef:
    """`<agreement>:<installment number>:<offset_days>`."""

    agreement_id: int
    number: int
    offset_days: int

    def __str__(self) -> str:
        return f"{self.agreement_id}:{self.number}:{self.offset_days}"

    @classmethod
    def parse(cls, ref: str) -> InstallmentRef | None:
        try:
            agreement, number, offset = ref.split(":")
            return cls(int(agreement), int(number), int(offset))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class OutreachRef:
    """`<after_days>:<nominal day>`: which outreach step, planned for which local day."""

    after_days: int
    nominal_day: date

    def __str__(self) -> str:
        return f"{self.after_days}:{self.nominal_day.isoformat()}"

    @classmethod
    def parse(cls, ref: str) -> OutreachRef | None:
        try:
            after, day = ref.split(":")
            return cls(int(after), date.fromisoformat(day))
        except ValueError:
            return None


def promise_day(key: str, ref: str) -> date | None:
    """The promised date of a promise job: its ref, or the tail of `promise:<debtor>:<date>`."""
    for candidate in (ref, key.rsplit(":", 1)[-1]):
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            continue
    return None
