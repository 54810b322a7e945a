"""One conversation as the console shows it: transcript, debtor panel and what may be done."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.channels.whatsapp.window import window_open
from bot.i18n import format_param
from bot.web.console.i18n import N_, Text
from bot.web.console.queue import OPEN_STATUSES, REASON_LABELS, local_today
from bot.web.console.roles import sees_every_chat
from bot.web.console.sessions import AgentSession
from dialogs.documents import mask_cpf
from dialogs.flow import Context
from dialogs.flow.actions import Money
from dialogs.flow.states import State
from dialogs.negotiation.charges import compute_charges
from dialogs.negotiation.policy import Policy, WhatsAppTemplate
from storage import UnitOfWork
from storage.rows import ConversationRow, EscalationRow, MessageRow

# Where an agent may hand the chat back, in the order offered (label: a catalog msgid).
RESUME_POINTS: tuple[tuple[str, str], ...] = (
    (State.BALANCE.value, N_("Balance menu (how they prefer to settle)")),
    (State.CHOOSING_PLAN.value, N_("Installment options")),
    (State.CHOOSING_CHANNEL.value, N_("Choice of payment method")),
    (State.PROMISING.value, N_("Agree on a payment date")),
    (State.AGREEMENT_ACTIVE.value, N_("Agreement menu (copy of the bill, balance)")),
    (State.NEW.value, N_("Start over (new verification)")),
)
# Templates an agent can send outside the WhatsApp window with values the console knows.
FILLABLE_PARAMS = frozenset({"name", "creditor"})
CONSOLE_LOCALE = "pt_BR"
CHANNEL_LABELS = {"webchat": "Web chat", "telegram": "Telegram", "whatsapp": "WhatsApp"}


@dataclass(frozen=True, slots=True)
class DebtLine:
    debt_id: int
    description: str
    contract: str
    due_date: str
    status: str
    principal_cents: int
    total_cents: int


@dataclass(frozen=True, slots=True)
class OfferLine:
    label: str


@dataclass
class ChatView:
    conversation: ConversationRow
    escalation: EscalationRow | None
    transcript: list[MessageRow]
    mine: bool
    debtor_name: str = ""
    masked_cpf: str = ""
    verified: bool = False
    debts: list[DebtLine] = field(default_factory=list)
    offers: list[Text] = field(default_factory=list)
    window_closed: bool = False
    templates: list[WhatsAppTemplate] = field(default_factory=list)
    owner_name: str = ""

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.conversation.channel, self.conversation.channel)

    @property
    def reason_label(self) -> str:
        if self.escalation is None:
            return ""
        return REASON_LABELS.get(self.escalation.reason, self.escalation.reason)

    @property
    def can_act(self) -> bool:
        return self.mine and self.conversation.mode == "agent"

    @property
    def total_cents(self) -> int:
        return sum(d.total_cents for d in self.debts if d.status in OPEN_STATUSES)

    @property
    def resume_points(self) -> tuple[tuple[str, str], ...]:
        if self.verified:
            return RESUME_POINTS
        return tuple(point for point in RESUME_POINTS if point[0] == State.NEW.value)


def may_view(session: AgentSession, escalation: EscalationRow | None) -> bool:
    """Agents see chats waiting in the queue and their own; supervisors see everything."""
    if sees_every_chat(session.agent.role):
        return True
    if escalation is None:
        return False
    return escalation.status == "open" or escalation.agent_id == session.agent.id


async def load_chat(
    tx: UnitOfWork, conversation_id: int, session: AgentSession, policy: Policy, now: datetime
) -> ChatView | None:
    """The view, or None if the chat does not exist or this agent may not see it."""
    conv = await tx.conversations.get(conversation_id)
    if conv is None:
        return None
    escalation = await tx.escalations.active_for_conversation(conv.id)
    if not may_view(session, escalation):
        return None
    mine = escalation is not None and escalation.agent_id == session.agent.id
    view = ChatView(conv, escalation, await tx.messages.transcript(conv.id), mine)
    if escalation is not None and escalation.agent_id is not None:
        owner = await tx.agents.get(escalation.agent_id)
        view.owner_name = owner.name if owner else ""
    context = Context.from_json(conv.context_json)
    if conv.debtor_id is not None:
        await _fill_debtor(tx, view, conv.debtor_id, policy, now)
        view.verified = context.verified_debtor_id == conv.debtor_id
    view.offers.extend(_offers(context))
    if conv.channel == "whatsapp" and not window_open(conv.last_inbound_at, now):
        view.window_closed = True
        view.templates = [t for t in policy.templates if set(t.params) <= FILLABLE_PARAMS]
    return view


async def _fill_debtor(
    tx: UnitOfWork, view: ChatView, debtor_id: int, policy: Policy, now: datetime
) -> None:
    debtor = await tx.debtors.get(debtor_id)
    if debtor is None:
        return
    view.debtor_name = debtor.name
    try:
        view.masked_cpf = mask_cpf(debtor.cpf)
    except ValueError:
        view.masked_cpf = "***"
    today = local_today(policy, now)
    for debt in await tx.debtors.debts(debtor_id, include_paid=True):
        charges = compute_charges(
            debt.principal_cents, debt.due_date, today, policy, debt.paid_cents
        )
        view.debts.append(
            DebtLine(
                debt_id=debt.id,
                description=debt.description,
                contract=debt.contract,
                due_date=debt.due_date.strftime("%d/%m/%Y"),
                status=debt.status,
                principal_cents=debt.principal_cents,
                total_cents=charges.total_cents if debt.status in OPEN_STATUSES else 0,
            )
        )
    for agreement in await tx.agreements.for_debtor(debtor_id):
        view.offers.append(
            Text(
                "Agreement #%(id)s (%(status)s): %(total)s by %(channel)s",
                {
                    "id": agreement.id,
                    "status": agreement.status,
                    "total": brl(agreement.total_cents),
                    "channel": agreement.payment_channel,
                },
            )
        )


def _offers(context: Context) -> list[Text]:
    lines: list[Text] = []
    if context.plan is not None:
        plan = context.plan
        if plan.cash:
            lines.append(
                Text(
                    "Chosen in the bot: in cash (total %(total)s)", {"total": brl(plan.total_cents)}
                )
            )
        else:
            lines.append(
                Text(
                    "Chosen in the bot: %(count)sx of %(installment)s (total %(total)s)",
                    {
                        "count": plan.count,
                        "installment": brl(plan.installment_cents),
                        "total": brl(plan.total_cents),
                    },
                )
            )
    if context.proposed_plan is not None:
        plan = context.proposed_plan
        lines.append(
            Text(
                "Proposed by the bot: %(count)sx of %(installment)s",
                {"count": plan.count, "installment": brl(plan.installment_cents)},
            )
        )
    if context.offer_revisits:
        lines.append(
            Text("Installment options shown %(count)s time(s)", {"count": context.offer_revisits})
        )
    return lines


_CPF_LIKE = re.compile(r"(?<!\d)\d{3}\.?\d{3}\.?\d{3}-?\d{2}(?!\d)")


def mask_documents(text: str) -> str:
    """CPFs the debtor typed (verification) show masked in the transcript, like the panel."""
    return _CPF_LIKE.sub(lambda found: f"***.{_digits(found)[3:6]}.{_digits(found)[6:9]}-**", text)


def _digits(found: re.Match[str]) -> str:
    return "".join(ch for ch in found.group(0) if ch.isdigit())


def brl(cents: int) -> str:
    """R$ 1.234,56, formatted by Babel like everything the bot says."""
    return format_param(Money(cents), CONSOLE_LOCALE)
