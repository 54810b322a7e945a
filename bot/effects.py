"""Carry out the dialog's actions inside the service's transaction.

Each action maps to a few repository calls; actions that need an answer (lookups) return the
event that answers them, which the service feeds straight back into `step`. Outbound messages
are collected and written with their outbox rows at `flush`, in the order the dialog produced
them, so a chat's replies always leave in order.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import datetime

from bot.channels.base import OutboundMessage
from bot.i18n import render
from bot.outbound_codec import as_dict, dump
from bot.payments.instructions import instructions_for
from bot.rendering import render_reply
from dialogs.flow import Context
from dialogs.flow.actions import (
    Action,
    CancelJobs,
    ChangePaymentChannel,
    CloseConversation,
    CreateAgreement,
    Escalate,
    LinkDebtor,
    LockContact,
    LookupDebtor,
    MarkVerified,
    RecordDispute,
    RecordPromise,
    Reply,
    ResolveInvite,
    ScheduleJob,
    SendPaymentInstructions,
    SetOptOut,
)
from dialogs.flow.events import (
    AgentClaimed,
    AgentClosed,
    AgentReleased,
    DebtorLookedUp,
    Event,
    InviteResolved,
)
from dialogs.negotiation.policy import Policy
from storage import ConversationRow, NewInstallment, NewOutbox, UnitOfWork

log = logging.getLogger(__name__)

CONSOLE_LOCALE = "pt_BR"


def hash_token(token: str) -> str:
    """Invite tokens are stored as SHA-256 hex; the raw token only lives in the link."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Effects:
    def __init__(
        self, tx: UnitOfWork, conv: ConversationRow, policy: Policy, now: datetime
    ) -> None:
        self._tx = tx
        self.conversation = conv
        self._policy = policy
        self._now = now
        self._outbound: list[OutboundMessage] = []
        self._escalated = False
        self._closed = False
        self._created_agreement: int | None = None

    async def apply(self, action: Action, context: Context) -> Event | None:
        tx, conv = self._tx, self.conversation
        match action:
            case Reply():
                self._outbound.append(render_reply(action, context.locale))
            case LookupDebtor(cpf=cpf):
                found = await tx.debtors.by_cpf(cpf)
                return DebtorLookedUp(await tx.debtors.snapshot(found.id) if found else None)
            case ResolveInvite(token=token):
                outcome, debtor_id = await tx.invites.redeem(hash_token(token), self._now)
                snapshot = None
                if outcome == "ok" and debtor_id is not None:
                    snapshot = await tx.debtors.snapshot(debtor_id)
                return InviteResolved(outcome, snapshot)
            case LinkDebtor(debtor_id=debtor_id):
                self.conversation = replace(conv, debtor_id=debtor_id)
                if conv.contact_id is not None:
                    await tx.contacts.link(conv.contact_id, debtor_id)
            case MarkVerified(debtor_id=debtor_id):
                self.conversation = replace(conv, debtor_id=debtor_id)
                if conv.contact_id is not None:
                    await tx.contacts.mark_verified(conv.contact_id, debtor_id, self._now)
            case LockContact(until=until):
                if conv.contact_id is not None:
                    await tx.contacts.lock(conv.contact_id, until)
            case CreateAgreement():
                if conv.debtor_id is None:
                    log.error("conversation %s: agreement without a debtor ignored", conv.id)
                    return None
                self._created_agreement = await tx.agreements.create(
                    conv.debtor_id,
                    conv.id,
                    list(action.debt_ids),
                    [
                        NewInstallment(i.number, i.amount_cents, i.due_date)
                        for i in action.installments
                    ],
                    payment_channel=action.payment_channel,
                    total_cents=action.total_cents,
                    discount_cents=action.discount_cents,
                    now=self._now,
                )
            case SendPaymentInstructions():
                agreement_id = action.agreement_id or self._created_agreement
                if agreement_id is None:
                    log.error("conversation %s: payment instructions without agreement", conv.id)
                    return None
                agreement = await tx.agreements.get(agreement_id)
                if agreement is None:
                    return None
                self._outbound.extend(
                    instructions_for(
                        agreement,
                        action.payment_channel,
                        action.installment,
                        self._policy,
                        context.locale,
                        today=self._now.date(),
                    )
                )
            case ChangePaymentChannel(agreement_id=agreement_id, payment_channel=channel):
                await tx.agreements.set_payment_channel(agreement_id, channel)
            case RecordPromise(due=due, amount_cents=amount):
                await tx.audit.record(
                    "debtor",
                    "promise_to_pay",
                    f"conversation:{conv.id}",
                    {"due": due.isoformat(), "amount_cents": amount},
                    now=self._now,
                )
            case ScheduleJob(kind=kind, run_at=run_at, key=key, ref=ref):
                await tx.jobs.schedule(
                    kind=kind,
                    run_at=run_at,
                    key=key,
                    ref=ref,
                    conversation_id=conv.id,
                    debtor_id=conv.debtor_id,
                    now=self._now,
                )
            case CancelJobs(key_prefix=prefix):
                await tx.jobs.cancel_prefix(prefix)
            case Escalate(reason=reason, summary=summary, priority=priority):
                await tx.escalations.open(
                    conv.id, reason, render(summary, CONSOLE_LOCALE), priority, now=self._now
                )
                self._escalated = True
            case RecordDispute(kind=kind, description=description):
                if conv.debtor_id is not None:
                    open_debts = await tx.debtors.debts(conv.debtor_id)
                    await tx.debtors.set_debt_status(
                        [d.id for d in open_debts if d.status == "open"], "disputed", now=self._now
                    )
                await tx.audit.record(
                    "debtor",
                    f"dispute:{kind}",
                    f"conversation:{conv.id}",
                    {"description": description},
                    now=self._now,
                )
            case SetOptOut(opted_out=opted_out):
                if conv.contact_id is not None:
                    await tx.contacts.set_opted_out(conv.contact_id, opted_out, self._now)
            case CloseConversation():
                self._closed = True
        return None

    def mode_after(self, mode: str, event: Event) -> str:
        """The conversation's mode after this event: who is expected to talk next."""
        if isinstance(event, AgentClaimed):
            return "agent"
        if isinstance(event, AgentReleased):
            return "bot"
        if isinstance(event, AgentClosed) or self._closed:
            return "closed"
        if self._escalated:
            return "queued"
        if mode == "closed":
            return "bot"
        return mode

    async def flush(self) -> int:
        """Write outbound messages and their outbox rows, in dialog order; return the count."""
        conv = self.conversation
        rows: list[NewOutbox] = []
        for message in self._outbound:
            message_id = await self._tx.messages.add_outbound(
                conv.id,
                conv.channel,
                message.text or message.image_caption,
                as_dict(message),
                author="bot",
                now=self._now,
            )
            rows.append(
                NewOutbox(
                    conversation_id=conv.id,
                    channel=conv.channel,
                    address=conv.address,
                    payload=dump(message),
                    idempotency_key=f"msg:{message_id}",
                    message_id=message_id,
                    available_at=self._now,
                )
            )
        await self._tx.outbox.enqueue(rows, now=self._now)
        count = len(self._outbound)
        self._outbound.clear()
        return count
