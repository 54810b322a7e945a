"""The cadence's job kinds, their keys and refs, and how long each stays worth sending.

Keys make planning idempotent (planning a day twice is the same set of jobs); refs carry what
the dialog needs to word the message (agreement, installment, step) and never personal data.
"""

from __future__ import annotations

from datetime import date, timedelta

from dialogs.flow.reminders import (
    INSTALLMENT_REMINDER,
    OUTREACH,
    PROMISE_FOLLOWUP,
    PROMISE_REMINDER,
    InstallmentRef,
    OutreachRef,
    promise_day,
)
from dialogs.negotiation.policy import Policy

__all__ = [
    "CADENCE_KINDS",
    "INSTALLMENT_REMINDER",
    "OUTREACH",
    "PROMISE_FOLLOWUP",
    "PROMISE_REMINDER",
    "InstallmentRef",
    "OutreachRef",
    "installment_key",
    "outreach_key",
    "promise_day",
]

CADENCE_KINDS = frozenset({INSTALLMENT_REMINDER, OUTREACH, PROMISE_REMINDER, PROMISE_FOLLOWUP})
LATE_GRACE_DAYS = 2  # a post-due message held back may still go this many days late


def installment_key(installment_id: int, offset_days: int) -> str:
    return f"cadence:inst:{installment_id}:{offset_days}"


def outreach_key(debtor_id: int, after_days: int) -> str:
    return f"cadence:out:{debtor_id}:{after_days}"


def installment_latest_day(policy: Policy, due: date, offset_days: int) -> date:
    """The last local day an installment step still makes sense.

    A pre-due reminder never goes on or after the due date, a due-day one never after it; a
    later step is moot once the next step's day has come.
    """
    if offset_days < 0:
        return due - timedelta(days=1)
    if offset_days == 0:
        return due
    later = [s.offset_days for s in policy.cadence.installment_steps if s.offset_days > offset_days]
    if later:
        return due + timedelta(days=later[0] - 1)
    return due + timedelta(days=offset_days + LATE_GRACE_DAYS)


def outreach_latest_day(policy: Policy, ref: OutreachRef) -> date:
    later = [s.after_days for s in policy.cadence.outreach_steps if s.after_days > ref.after_days]
    grace = LATE_GRACE_DAYS if not later else min(LATE_GRACE_DAYS, later[0] - ref.after_days - 1)
    return ref.nominal_day + timedelta(days=max(grace, 0))


def promise_reminder_latest_day(policy: Policy, day: date) -> date:
    return day + timedelta(days=max(policy.cadence.promise_followup_days - 1, 0))


def promise_followup_latest_day(policy: Policy, day: date) -> date:
    return day + timedelta(days=policy.cadence.promise_followup_days + LATE_GRACE_DAYS)
