"""Everything that can happen to a conversation, as small frozen dataclasses.

Channels, the scheduler, the agent console and payment webhooks all speak in these; the
service feeds them to `step`. A new capability is a new event here, never a side door.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dialogs.flow.context import ChosenPlan
from dialogs.flow.snapshots import DebtorSnapshot


@dataclass(frozen=True, slots=True)
class TextReceived:
    """The debtor typed something."""

    text: str


@dataclass(frozen=True, slots=True)
class ButtonPressed:
    """The debtor tapped a choice; `choice` is the `Choice.id` the dialog offered."""

    choice: str


@dataclass(frozen=True, slots=True)
class MediaReceived:
    """Something that is not text: sticker, audio, image, video, document, location, reaction."""

    kind: str


@dataclass(frozen=True, slots=True)
class StartRequested:
    """`/start` (optionally with a deep-link payload) or the web chat opening."""

    payload: str | None = None


@dataclass(frozen=True, slots=True)
class InviteResolved:
    """Answer to `ResolveInvite`: the debtor behind a token, or why there is none."""

    outcome: str  # ok | expired | used | unknown
    debtor: DebtorSnapshot | None = None


@dataclass(frozen=True, slots=True)
class DebtorLookedUp:
    """Answer to `LookupDebtor`: the debtor with that CPF, or None."""

    debtor: DebtorSnapshot | None


@dataclass(frozen=True, slots=True)
class ReminderDue:
    """A scheduled job fired (installment reminder, promise follow-up, outreach, timeout)."""

    kind: str
    ref: str = ""
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class PaymentConfirmed:
    """A payment was matched to an installment (webhook, reconciliation file or agent)."""

    agreement_id: int
    installment_number: int
    amount_cents: int
    paid_at: datetime
    matches_installment: bool = True
    # Where it came from, for the payment row (the dialog ignores these): the payer's or
    # bank's id (idempotency), webhook | reconciliation | agent, and an agent's note.
    external_id: str = ""
    source: str = "webhook"
    note: str = ""


@dataclass(frozen=True, slots=True)
class AgentClaimed:
    """An agent took the chat; the bot goes quiet. From the console's queue it names the
    escalation taken and who took it, and the claim is stored with the chat's change."""

    agent_name: str
    escalation_id: int | None = None
    agent_id: int | None = None


@dataclass(frozen=True, slots=True)
class AgentReleased:
    """The agent handed the chat back to the bot, resuming at `resume_at` (a state name)."""

    resume_at: str


@dataclass(frozen=True, slots=True)
class AgentSays:
    """An agent wrote to the debtor from the console; the bot does not answer it.

    With `template_key` (a key of the policy's [[templates]]) the message goes out as that
    approved WhatsApp template with `template_params`, for chats outside the 24 h window.
    """

    text: str
    agent_name: str
    template_key: str = ""
    template_params: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentProposedPlan:
    """An agent offered a plan (already checked against their authority); the debtor confirms
    it with the usual summary buttons and the bot takes the chat back."""

    plan: ChosenPlan
    payment_channel: str | None
    agent_name: str


@dataclass(frozen=True, slots=True)
class AgentClosed:
    """The agent resolved and closed the conversation."""


@dataclass(frozen=True, slots=True)
class OptOutSignal:
    """An out-of-band opt-out/opt-in (e.g. WhatsApp marketing preference stop/resume)."""

    opted_out: bool


Event = (
    TextReceived
    | ButtonPressed
    | MediaReceived
    | StartRequested
    | InviteResolved
    | DebtorLookedUp
    | ReminderDue
    | PaymentConfirmed
    | AgentClaimed
    | AgentReleased
    | AgentSays
    | AgentProposedPlan
    | AgentClosed
    | OptOutSignal
)
