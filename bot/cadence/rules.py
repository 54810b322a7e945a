"""The rules every proactive message passes when its job comes due.

In order: still relevant (not paid, not moot, not stale) → not opted out → not paused (open
escalation, agent-owned chat) → inside the contact window of the debtor's zone and state →
under the frequency caps → a channel that can reach the debtor. The first rule that says no
decides: drop (with the rule in the reason) or wait for the next opening. Replies to a debtor
who writes never come here: they go straight through the conversation service.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.cadence import jobs as k
from bot.cadence.calendar import ContactCalendar, calendar_for
from bot.cadence.queries import SentCounter
from bot.channels.base import ChannelName, ConversationKey
from bot.scheduler import Deliver, Drop, JobOutcome, Reschedule
from dialogs.flow.events import ReminderDue
from dialogs.negotiation.policy import Policy
from storage import ContactRow, ConversationRow, DebtorRow, UnitOfWork
from storage.enums import AgreementStatus, DebtStatus, InstallmentStatus
from storage.rows import JobRow

# Rule names, the first word of every reason (the preview groups by them).
SEND = "send"
PAID = "paid"
MOOT = "moot"
STALE = "stale"
OPTED_OUT = "opted_out"
PAUSED = "paused"
WINDOW = "window"
CAP = "cap"
NEEDS_INVITE = "needs_invite_link"
OPEN_INSTALLMENT = (InstallmentStatus.PENDING.value, InstallmentStatus.LATE.value)
UNPAID_DEBT = (DebtStatus.OPEN.value, DebtStatus.NEGOTIATING.value, DebtStatus.AGREEMENT.value)


def rule_of(reason: str) -> str:
    return reason.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class Relevance:
    """What the job is about, or why it no longer makes sense."""

    latest_day: date | None = None
    due_date: date | None = None
    moot: str | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    debtor: DebtorRow
    contacts: list[ContactRow]
    conversations: list[ConversationRow]


async def decide(
    job: JobRow,
    tx: UnitOfWork,
    policy: Policy,
    now: datetime,
    counter: SentCounter,
    reachable: Collection[str],
) -> JobOutcome:
    """The outcome of a cadence job at `now`; `reachable` are the channels that can send."""
    debtor_id = job.debtor_id
    if debtor_id is None and job.conversation_id is not None:
        conv = await tx.conversations.get(job.conversation_id)
        debtor_id = conv.debtor_id if conv else None
    debtor = await tx.debtors.get(debtor_id) if debtor_id is not None else None
    if debtor is None or debtor.erased_at is not None:
        return Drop(f"{MOOT}: no debtor to remind")
    contacts = await tx.contacts.for_debtor(debtor.id)
    facts = Facts(debtor, contacts, await tx.conversations.for_debtor(debtor.id))
    calendar = calendar_for(policy.contact, debtor.state)
    today = calendar.local(now).date()

    relevance = await _relevance(job, tx, policy, facts)
    if relevance.moot is not None:
        return Drop(relevance.moot)
    latest = relevance.latest_day
    if latest is not None and today > latest:
        return Drop(f"{STALE}: its last useful day was {latest.isoformat()}")
    if any(c.opted_out_at is not None for c in facts.contacts):
        return Drop(f"{OPTED_OUT}: the debtor asked for no proactive messages")

    paused = await _pause_reason(tx, facts)
    if paused is not None:
        return _later(calendar, now, latest, f"{PAUSED}: {paused}", next_day=True)
    outside = calendar.outside_reason(now)
    if outside is not None:
        return _later(calendar, now, latest, f"{WINDOW}: {outside}", next_day=False)
    capped = await _cap_reason(policy, calendar, counter, debtor.id, now)
    if capped is not None:
        return _later(calendar, now, latest, f"{CAP}: {capped}", next_day=True)

    target = await _target(job, tx, policy, facts, reachable)
    if target is None:
        return Drop(f"{NEEDS_INVITE}: no WhatsApp number and no linked Telegram chat")
    key, locale = target
    event = ReminderDue(job.kind, job.ref, relevance.due_date)
    return Deliver(key, event, note=f"{SEND}: {key.channel.value}", locale=locale)


def _later(
    calendar: ContactCalendar, now: datetime, latest: date | None, reason: str, *, next_day: bool
) -> JobOutcome:
    """Wait for the next opening (on a later day when the reason lasts the whole day)."""
    moment = now
    if next_day:
        moment = calendar.day_bounds(calendar.local(now).date())[1]
    opening = calendar.next_opening(moment)
    if latest is not None and calendar.local(opening).date() > latest:
        return Drop(f"{reason}; no opening before {latest.isoformat()}")
    return Reschedule(opening, reason)


async def _relevance(job: JobRow, tx: UnitOfWork, policy: Policy, facts: Facts) -> Relevance:
    if job.kind == k.INSTALLMENT_REMINDER:
        ref = k.InstallmentRef.parse(job.ref)
        if ref is None:
            return Relevance(moot=f"{MOOT}: unreadable reminder reference")
        agreement = await tx.agreements.get(ref.agreement_id)
        if agreement is None or agreement.debtor_id != facts.debtor.id:
            return Relevance(moot=f"{MOOT}: agreement not found")
        if agreement.status != AgreementStatus.ACTIVE.value:
            return Relevance(moot=f"{MOOT}: agreement is {agreement.status}")
        installment = next((i for i in agreement.installments if i.number == ref.number), None)
        if installment is None:
            return Relevance(moot=f"{MOOT}: installment not found")
        if installment.status == InstallmentStatus.PAID.value:
            return Relevance(moot=f"{PAID}: installment already paid")
        if installment.status not in OPEN_INSTALLMENT:
            return Relevance(moot=f"{MOOT}: installment is {installment.status}")
        due = installment.due_date
        latest = k.installment_latest_day(policy, due, ref.offset_days)
        return Relevance(latest_day=latest, due_date=due)
    if job.kind == k.OUTREACH:
        outreach = k.OutreachRef.parse(job.ref)
        if outreach is None:
            return Relevance(moot=f"{MOOT}: unreadable outreach reference")
        debts = await tx.debtors.debts(facts.debtor.id)
        if not any(d.status == DebtStatus.OPEN.value for d in debts):
            return Relevance(moot=f"{PAID}: no open debt left to talk about")
        agreements = await tx.agreements.for_debtor(facts.debtor.id)
        if any(a.status == AgreementStatus.ACTIVE.value for a in agreements):
            return Relevance(moot=f"{MOOT}: already negotiated")
        if any(c.last_inbound_at is not None for c in facts.conversations):
            return Relevance(moot=f"{MOOT}: the debtor is already talking to us")
        return Relevance(latest_day=k.outreach_latest_day(policy, outreach))
    if job.kind in (k.PROMISE_REMINDER, k.PROMISE_FOLLOWUP):
        day = k.promise_day(job.key, job.ref)
        if not await _owes_anything(tx, facts.debtor.id):
            return Relevance(moot=f"{PAID}: nothing left unpaid")
        if day is None:
            return Relevance()
        if job.kind == k.PROMISE_REMINDER:
            return Relevance(latest_day=k.promise_reminder_latest_day(policy, day), due_date=day)
        return Relevance(latest_day=k.promise_followup_latest_day(policy, day), due_date=day)
    return Relevance()


async def _owes_anything(tx: UnitOfWork, debtor_id: int) -> bool:
    debts = await tx.debtors.debts(debtor_id)
    if any(d.status in (DebtStatus.OPEN.value, DebtStatus.NEGOTIATING.value) for d in debts):
        return True
    for agreement in await tx.agreements.for_debtor(debtor_id):
        if agreement.status != AgreementStatus.ACTIVE.value:
            continue
        installments = agreement.installments or tuple(
            await tx.agreements.installments(agreement.id)
        )
        if any(i.status in OPEN_INSTALLMENT for i in installments):
            return True
    return False


async def _pause_reason(tx: UnitOfWork, facts: Facts) -> str | None:
    for conv in facts.conversations:
        if conv.mode == "agent":
            return "an agent owns the chat"
        if conv.mode == "queued":
            return "waiting for an agent"
        if await tx.escalations.active_for_conversation(conv.id) is not None:
            return "an escalation is open"
    return None


async def _cap_reason(
    policy: Policy, calendar: ContactCalendar, counter: SentCounter, debtor_id: int, now: datetime
) -> str | None:
    contact = policy.contact
    today = calendar.local(now).date()
    start, end = calendar.day_bounds(today)
    if contact.max_per_day == 0 or contact.max_per_week == 0:
        return "proactive contact is switched off (max 0)"
    if await counter.sent_between(debtor_id, start, end) >= contact.max_per_day:
        return f"{contact.max_per_day} a day already sent"
    week_start, _ = calendar.day_bounds(today - timedelta(days=6))
    if await counter.sent_between(debtor_id, week_start, end) >= contact.max_per_week:
        return f"{contact.max_per_week} in 7 days already sent"
    return None


async def _target(
    job: JobRow, tx: UnitOfWork, policy: Policy, facts: Facts, reachable: Collection[str]
) -> tuple[ConversationKey, str | None] | None:
    """Where the message goes, in order: the job's own chat; the debtor's WhatsApp or Telegram
    chat (most recently active first); a Telegram chat linked at import; a new WhatsApp chat by
    phone (the sender uses the template); the debtor's web chat. None: the creditor must send
    an invite link (`quita invite`)."""
    enabled = set(policy.channels.messaging) & set(reachable)
    blocked = {(c.channel, c.address) for c in facts.contacts if c.unreachable_at is not None}
    locale_of = {(c.channel, c.address): c.locale for c in facts.contacts}

    def usable(channel: str, address: str) -> bool:
        return channel in enabled and (channel, address) not in blocked

    def found(channel: ChannelName, address: str) -> tuple[ConversationKey, str | None]:
        return ConversationKey(channel, address), locale_of.get((channel.value, address))

    if job.conversation_id is not None:
        own = next((c for c in facts.conversations if c.id == job.conversation_id), None)
        own = own or await tx.conversations.get(job.conversation_id)
        if own is not None and usable(own.channel, own.address):
            return found(ChannelName(own.channel), own.address)
    chats = sorted(
        (c for c in facts.conversations if usable(c.channel, c.address)),
        key=lambda c: -(c.last_inbound_at.timestamp() if c.last_inbound_at else 0),
    )
    for channel in (ChannelName.WHATSAPP, ChannelName.TELEGRAM):
        chat = next((c for c in chats if c.channel == channel.value), None)
        if chat is not None:
            return found(channel, chat.address)
    telegram = ChannelName.TELEGRAM
    linked = [c for c in facts.contacts if c.channel == telegram.value]
    for contact in linked:
        if usable(contact.channel, contact.address):
            return found(telegram, contact.address)
    phone = (facts.debtor.phone or "").lstrip("+")
    if phone and usable(ChannelName.WHATSAPP.value, phone):
        return found(ChannelName.WHATSAPP, phone)
    web = next((c for c in chats if c.channel == ChannelName.WEBCHAT.value), None)
    if web is not None:
        return found(ChannelName.WEBCHAT, web.address)
    return None


def _key(conv: ConversationRow) -> ConversationKey:
    return ConversationKey(ChannelName(conv.channel), conv.address)
