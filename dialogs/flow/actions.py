"""What the dialog asks the runtime to do. Actions carry message ids, never finished text.

The service carries them out inside the same transaction as the state change; anything that
needs an answer (a lookup) comes back as an event within the same `handle` call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Money:
    """A parameter the renderer formats as currency for the debtor's locale (R$ 1.234,56)."""

    cents: int


@dataclass(frozen=True, slots=True)
class Percent:
    """A rate the renderer formats with the locale's decimal mark ("0,5" in pt_BR, "0.5" in en)."""

    value: Decimal


ParamValue = str | int | Money | Percent | date
Params = Mapping[str, ParamValue]


@dataclass(frozen=True, slots=True)
class Message:
    """A message id from the catalogs plus its parameters."""

    id: str
    params: Params = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Choice:
    """A button. `id` comes back in `ButtonPressed.choice` (keep it ≤ 64 bytes)."""

    id: str
    label: Message


@dataclass(frozen=True, slots=True)
class Reply:
    """Send one message to the debtor, optionally with buttons."""

    message: Message
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True, slots=True)
class LookupDebtor:
    """Find the debtor by full CPF; answered with `DebtorLookedUp`."""

    cpf: str


@dataclass(frozen=True, slots=True)
class ResolveInvite:
    """Redeem a deep-link token; answered with `InviteResolved`."""

    token: str


@dataclass(frozen=True, slots=True)
class LinkDebtor:
    """Attach this conversation's contact to a debtor (not yet verified)."""

    debtor_id: int


@dataclass(frozen=True, slots=True)
class MarkVerified:
    """The person proved who they are; the contact is verified for this debtor."""

    debtor_id: int


@dataclass(frozen=True, slots=True)
class LockContact:
    """Too many failed verifications: refuse verification until `until`."""

    until: datetime


@dataclass(frozen=True, slots=True)
class PlannedInstallment:
    number: int
    amount_cents: int
    due_date: date


@dataclass(frozen=True, slots=True)
class CreateAgreement:
    """Close the deal: an agreement over `debt_ids` with these installments."""

    debt_ids: tuple[int, ...]
    installments: tuple[PlannedInstallment, ...]
    payment_channel: str  # pix | boleto | card
    total_cents: int
    discount_cents: int = 0


@dataclass(frozen=True, slots=True)
class SendPaymentInstructions:
    """PIX (QR + copy-paste), boleto line or card link for one installment.

    `agreement_id` None means the agreement created by this same step; `installment` None
    means the next unpaid one.
    """

    payment_channel: str
    agreement_id: int | None = None
    installment: int | None = None


@dataclass(frozen=True, slots=True)
class WatchInstallments:
    """Schedule a late check per installment (due date + the policy's grace days).

    `agreement_id` None means the agreement created by this same step.
    """

    agreement_id: int | None = None


@dataclass(frozen=True, slots=True)
class SendAgreementSummary:
    """The agreement and the payments made so far, as a receipt (built from storage)."""

    agreement_id: int


@dataclass(frozen=True, slots=True)
class ChangePaymentChannel:
    agreement_id: int
    payment_channel: str


@dataclass(frozen=True, slots=True)
class SendReminder:
    """A message the bot writes first (reminder, outreach, promise check-in): sent as proactive
    and, on WhatsApp, with the policy template `template` (a [[templates]] key) whose body
    parameters are taken by name from `message.params`."""

    message: Message
    template: str | None = None
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordPromise:
    """The debtor promised to pay on `due` (optionally an amount)."""

    due: date
    amount_cents: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduleJob:
    """A durable job; `key` makes it idempotent (scheduling the same key twice is one job)."""

    kind: str
    run_at: datetime
    key: str
    ref: str = ""


@dataclass(frozen=True, slots=True)
class CancelJobs:
    """Cancel pending jobs whose key starts with `key_prefix`."""

    key_prefix: str


@dataclass(frozen=True, slots=True)
class Escalate:
    """Hand the chat to a human. `summary` is rendered in the console's locale."""

    reason: str
    summary: Message
    priority: int = 0


@dataclass(frozen=True, slots=True)
class RecordDispute:
    """Mark the debtor's open debts disputed/claimed-paid with their own words."""

    kind: str  # dispute | already_paid | not_recognised
    description: str


@dataclass(frozen=True, slots=True)
class SetOptOut:
    """Stop (or resume) proactive contact; the debtor can always still write."""

    opted_out: bool


@dataclass(frozen=True, slots=True)
class CloseConversation:
    """Nothing left to talk about; the next message reopens with the bot."""


Action = (
    Reply
    | LookupDebtor
    | ResolveInvite
    | LinkDebtor
    | MarkVerified
    | LockContact
    | CreateAgreement
    | SendPaymentInstructions
    | WatchInstallments
    | SendAgreementSummary
    | ChangePaymentChannel
    | SendReminder
    | RecordPromise
    | ScheduleJob
    | CancelJobs
    | Escalate
    | RecordDispute
    | SetOptOut
    | CloseConversation
)
