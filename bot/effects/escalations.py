"""Effects that hand a chat to people: escalations and disputes."""

from __future__ import annotations

from bot.effects.base import EffectContext, handles
from bot.effects.intake import IntakeContext, ingests
from bot.i18n import render
from dialogs.flow.actions import Escalate, RecordDispute
from dialogs.flow.events import AgentClaimed, Event

CONSOLE_LOCALE = "pt_BR"


class ClaimLostError(RuntimeError):
    """Another agent took the escalation first; nothing of this claim was stored."""


@ingests(AgentClaimed)
async def ingest_claim(event: AgentClaimed, ix: IntakeContext) -> Event | None:
    """Take the escalation in the transaction that hands the chat to the agent and tells the
    debtor, so a crash never leaves a claimed chat that the bot still answers."""
    if event.escalation_id is None or event.agent_id is None:
        return event
    if not await ix.tx.escalations.claim(event.escalation_id, event.agent_id, now=ix.now):
        raise ClaimLostError(f"escalation {event.escalation_id} was taken first")
    await ix.tx.audit.record(
        f"agent:{event.agent_id}",
        "escalation.claim",
        f"escalation:{event.escalation_id}",
        now=ix.now,
    )
    return event


@handles(Escalate)
async def escalate(action: Escalate, fx: EffectContext) -> Event | None:
    summary = render(action.summary, CONSOLE_LOCALE)
    await fx.tx.escalations.open(
        fx.conversation.id, action.reason, summary, action.priority, now=fx.now
    )
    fx.escalated = True
    return None


@handles(RecordDispute)
async def record_dispute(action: RecordDispute, fx: EffectContext) -> Event | None:
    conv = fx.conversation
    if conv.debtor_id is not None:
        debts = await fx.tx.debtors.debts(conv.debtor_id)
        open_ids = [d.id for d in debts if d.status == "open"]
        if open_ids:
            await fx.tx.debtors.set_debt_status(open_ids, "disputed", now=fx.now)
            fx.changed_debtor()
    await fx.tx.audit.record(
        "debtor",
        f"dispute:{action.kind}",
        f"conversation:{conv.id}",
        {"description": action.description},
        now=fx.now,
    )
    return None
