"""What an agent does to a chat. Each action is audited and, when the debtor should notice,
enters through `ConversationService.handle` like every other event (never a side door)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from aiohttp import web

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.channels.whatsapp.window import window_open
from bot.clock import Clock
from bot.effects.escalations import ClaimLostError
from bot.notify import Notifier
from bot.service import ConversationService, HandleResult
from bot.web.console.i18n import Text
from bot.web.console.queue import OPEN_STATUSES, local_today
from bot.web.console.sessions import AgentSession
from dialogs.flow.context import ChosenPlan
from dialogs.flow.events import (
    AgentClaimed,
    AgentClosed,
    AgentProposedPlan,
    AgentReleased,
    AgentSays,
    Event,
)
from dialogs.flow.handlers.promise import PROMISE_REMINDER, REMINDER_TIME
from dialogs.negotiation.charges import compute_charges
from dialogs.negotiation.offers import agent_plan_allowed, build_plan, discounted_total
from dialogs.negotiation.policy import Policy
from storage import Database, UnitOfWork
from storage.rows import ConversationRow

MAX_REPLY = 4096
DEBT_MARKS = frozenset({"disputed", "paid"})


class ActionRefusedError(Exception):
    """The action cannot be done; `text` tells the agent why, in the agent's language.

    Raise it with an English msgid from the console catalog and its `%(name)s` values:
    `ActionRefusedError("Plan not allowed for %(who)s.", who=name)`."""

    def __init__(self, msgid: str, **params: object) -> None:
        self.text = Text(msgid, params)
        super().__init__(str(self.text))


@dataclass
class Console:
    """Everything the console's handlers need, built once by `attach_console`."""

    db: Database
    service: ConversationService
    clock: Clock
    notifier: Notifier
    secure_cookies: bool
    sockets: set[web.WebSocketResponse] = field(default_factory=set)
    policy_file: Path | None = None  # QUITA_POLICY_FILE, edited by admins in the settings
    apply_policy: Callable[[Policy], None] | None = None  # Quita.replace_policy
    policy_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def policy(self) -> Policy:
        """Always the service's current policy, so a saved change applies at once."""
        return self.service.policy

    async def claim(self, session: AgentSession, escalation_id: int) -> int:
        """Take an escalation; exactly one of two simultaneous claims wins. The claim, its
        audit line, the chat's hand-over and the debtor's notice commit together (the
        service's `AgentClaimed` intake), keyed by the escalation: a second claim is a
        duplicate, whoever makes it."""
        async with self.db.transaction(write=False) as tx:
            escalation = await tx.escalations.get(escalation_id)
            if escalation is None:
                raise ActionRefusedError("This chat no longer exists.")
            conv = await _conversation(tx, escalation.conversation_id)
        agent = session.agent
        claimed = AgentClaimed(agent.name, escalation_id=escalation_id, agent_id=agent.id)
        try:
            result = await self.handle_event(
                conv, claimed, idempotency_key=f"claim:{escalation_id}"
            )
        except ClaimLostError:
            raise ActionRefusedError("Someone else already took this chat.") from None
        if result.duplicate:
            raise ActionRefusedError("Someone else already took this chat.")
        return conv.id

    async def reply(self, session: AgentSession, conversation_id: int, text: str) -> None:
        text = text.strip()
        if not text:
            raise ActionRefusedError("Write a message before sending.")
        if len(text) > MAX_REPLY:
            raise ActionRefusedError(
                "The message is longer than %(count)s characters.", count=MAX_REPLY
            )
        conv = await self.owned(session, conversation_id, "reply", {"chars": len(text)})
        if conv.channel == ChannelName.WHATSAPP.value and _window_closed(conv, self.clock.now()):
            raise ActionRefusedError(
                "The 24-hour WhatsApp window is closed: only an approved template can be sent."
            )
        await self.handle_event(conv, AgentSays(text, session.agent.name))

    async def propose_plan(
        self,
        session: AgentSession,
        conversation_id: int,
        count: int,
        extra_discount_percent: Decimal,
        payment_channel: str | None,
        first_due: date | None = None,
    ) -> None:
        """Offer a plan within the agent's authority; the debtor confirms it with buttons and
        the bot takes the chat back."""
        now = self.clock.now()
        today = local_today(self.policy, now)
        if payment_channel is not None and payment_channel not in self.policy.channels.payment:
            raise ActionRefusedError("This payment method is not enabled in the policy.")
        due = first_due or today + timedelta(days=self.policy.offers.first_due_max_days)
        if due < today:
            raise ActionRefusedError("The first installment cannot be due in the past.")
        async with self.db.transaction(write=False) as tx:
            conv = await _conversation(tx, conversation_id)
            total = await _open_total(tx, conv, self.policy, today)
        if total <= 0:
            raise ActionRefusedError("There is no open debt to negotiate.")
        discounted = discounted_total(total, extra_discount_percent)
        if count < 1 or discounted <= 0:
            raise ActionRefusedError("Invalid plan.")
        plan = build_plan(
            discounted,
            count,
            due,
            monthly_interest_percent=(
                self.policy.offers.installment_monthly_interest_percent if count > 1 else Decimal(0)
            ),
        )
        if not agent_plan_allowed(plan, extra_discount_percent, self.policy, session.agent.role):
            raise ActionRefusedError(
                "This plan is beyond your authority (installments, discount or minimum"
                " installment); ask a supervisor."
            )
        chosen = ChosenPlan(
            count=plan.count,
            installment_cents=plan.installment_cents,
            total_cents=plan.total_cents,
            first_due=plan.first_due,
            installments=plan.installments,
            discount_cents=total - discounted,
            cash=plan.count == 1,
        )
        detail = {
            "count": count,
            "extra_discount_percent": str(extra_discount_percent),
            "total_cents": plan.total_cents,
        }
        conv = await self.owned(session, conversation_id, "plan.propose", detail, release=True)
        await self.handle_event(
            conv, AgentProposedPlan(chosen, payment_channel, session.agent.name)
        )

    async def promise(
        self, session: AgentSession, conversation_id: int, due: date, amount_cents: int | None
    ) -> None:
        """Register the debtor's promise to pay on `due`; the scheduler follows it up."""
        now = self.clock.now()
        today = local_today(self.policy, now)
        if not today <= due <= today + timedelta(days=self.policy.offers.promise_max_days):
            raise ActionRefusedError(
                "The date must be between today and %(days)s days from now.",
                days=self.policy.offers.promise_max_days,
            )
        detail = {"due": due.isoformat(), "amount_cents": amount_cents}
        conv = await self.owned(session, conversation_id, "promise_to_pay", detail)
        if conv.debtor_id is None:
            return
        run_at = datetime.combine(due, REMINDER_TIME, tzinfo=self.policy.contact.zone)
        async with self.db.transaction() as tx:
            await tx.jobs.schedule(
                PROMISE_REMINDER,
                run_at,
                f"promise:{conv.debtor_id}:{due.isoformat()}",
                str(conv.debtor_id),
                conversation_id=conv.id,
                debtor_id=conv.debtor_id,
                now=now,
            )

    async def mark_debt(
        self, session: AgentSession, conversation_id: int, debt_id: int, status: str, note: str
    ) -> None:
        if status not in DEBT_MARKS:
            raise ActionRefusedError("Invalid status.")
        now = self.clock.now()
        async with self.db.transaction() as tx:
            conv = await self.owned_in(tx, session, conversation_id)
            debts = (
                await tx.debtors.debts(conv.debtor_id, include_paid=True) if conv.debtor_id else []
            )
            if debt_id not in {d.id for d in debts}:
                raise ActionRefusedError("This debt does not belong to this customer.")
            await tx.debtors.set_debt_status([debt_id], status, now=now)
            await tx.audit.record(
                session.actor,
                f"debt.mark_{status}",
                f"debt:{debt_id}",
                {"note": note.strip()[:500], "conversation": conv.id},
                now=now,
            )
        self.notifier.publish_conversation(conversation_id)

    async def hand_back(self, session: AgentSession, conversation_id: int, resume_at: str) -> None:
        detail = {"resume_at": resume_at}
        conv = await self.owned(session, conversation_id, "handback", detail, release=True)
        await self.handle_event(conv, AgentReleased(resume_at))

    async def close(self, session: AgentSession, conversation_id: int) -> None:
        conv = await self.owned(session, conversation_id, "close", {}, release=True)
        await self.handle_event(conv, AgentClosed())

    async def reassign(self, session: AgentSession, conversation_id: int, agent_id: int) -> None:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            target = await tx.agents.get(agent_id)
            escalation = await tx.escalations.active_for_conversation(conversation_id)
            if target is None or not target.active:
                raise ActionRefusedError("Agent not found.")
            if escalation is None or not await tx.escalations.reassign(escalation.id, agent_id):
                raise ActionRefusedError("Only a chat already taken can be transferred.")
            await tx.audit.record(
                session.actor,
                "escalation.reassign",
                f"escalation:{escalation.id}",
                {"to_agent": agent_id, "from_agent": escalation.agent_id},
                now=now,
            )
        self.notifier.publish_conversation(conversation_id)

    # ------------------------------------------------------------------------------ helpers

    async def owned_in(
        self, tx: UnitOfWork, session: AgentSession, conversation_id: int
    ) -> ConversationRow:
        conv = await _conversation(tx, conversation_id)
        escalation = await tx.escalations.active_for_conversation(conv.id)
        if escalation is None or escalation.status != "claimed" or conv.mode != "agent":
            raise ActionRefusedError("Take the chat before acting on it.")
        if escalation.agent_id != session.agent.id:
            raise ActionRefusedError("Someone else has this chat.")
        return conv

    async def owned(
        self,
        session: AgentSession,
        conversation_id: int,
        action: str,
        detail: Mapping[str, object],
        *,
        release: bool = False,
    ) -> ConversationRow:
        """Check the agent owns the chat and audit the action (closing the escalation when
        the chat leaves the agent's hands) in one transaction."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            conv = await self.owned_in(tx, session, conversation_id)
            if release:
                escalation = await tx.escalations.active_for_conversation(conv.id)
                if escalation is not None:
                    await tx.escalations.close(escalation.id, now=now)
            await tx.audit.record(
                session.actor, f"chat.{action}", f"conversation:{conv.id}", detail, now=now
            )
        return conv

    async def handle_event(
        self, conv: ConversationRow, event: Event, *, idempotency_key: str | None = None
    ) -> HandleResult:
        return await self.service.handle(
            Inbound(
                key=ConversationKey(ChannelName(conv.channel), conv.address),
                event=event,
                received_at=self.clock.now(),
                idempotency_key=idempotency_key or f"console:{uuid.uuid4().hex}",
            )
        )


async def _conversation(tx: UnitOfWork, conversation_id: int) -> ConversationRow:
    conv = await tx.conversations.get(conversation_id)
    if conv is None:
        raise ActionRefusedError("Chat not found.")
    return conv


async def _open_total(tx: UnitOfWork, conv: ConversationRow, policy: Policy, today: date) -> int:
    if conv.debtor_id is None:
        return 0
    debts = await tx.debtors.debts(conv.debtor_id)
    return sum(
        compute_charges(d.principal_cents, d.due_date, today, policy, d.paid_cents).total_cents
        for d in debts
        if d.status in OPEN_STATUSES
    )


def _window_closed(conv: ConversationRow, now: datetime) -> bool:
    return not window_open(conv.last_inbound_at, now)
