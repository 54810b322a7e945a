"""Effects on the chat itself: replies, identity, locks, opt-out, closing."""

from __future__ import annotations

from bot.effects.base import EffectContext, handles
from bot.invites import hash_token
from bot.rendering import render_reply
from dialogs.flow.actions import (
    CloseConversation,
    LinkDebtor,
    LockContact,
    LookupDebtor,
    MarkVerified,
    Reply,
    ResolveInvite,
    SetOptOut,
)
from dialogs.flow.events import DebtorLookedUp, Event, InviteResolved
from dialogs.frozen import evolve
from storage.rows import ContactVerified


@handles(Reply)
async def reply(action: Reply, fx: EffectContext) -> Event | None:
    fx.say(render_reply(action, fx.context.locale))
    return None


@handles(LookupDebtor)
async def lookup_debtor(action: LookupDebtor, fx: EffectContext) -> Event | None:
    return DebtorLookedUp(await fx.tx.debtors.snapshot_by_cpf(action.cpf))


@handles(ResolveInvite)
async def resolve_invite(action: ResolveInvite, fx: EffectContext) -> Event | None:
    outcome, debtor_id = await fx.tx.invites.redeem(hash_token(action.token), fx.now)
    snapshot = None
    if outcome == "ok" and debtor_id is not None:
        snapshot = await fx.tx.debtors.snapshot(debtor_id)
    return InviteResolved(str(outcome), snapshot)


@handles(LinkDebtor)
async def link_debtor(action: LinkDebtor, fx: EffectContext) -> Event | None:
    conv = fx.conversation
    fx.conversation = evolve(conv, debtor_id=action.debtor_id)
    if conv.contact_id is not None:
        await fx.tx.contacts.link(conv.contact_id, action.debtor_id)
    return None


@handles(MarkVerified)
async def mark_verified(action: MarkVerified, fx: EffectContext) -> Event | None:
    conv = fx.conversation
    fx.conversation = evolve(conv, debtor_id=action.debtor_id)
    if conv.contact_id is not None:
        # With the save: on PostgreSQL one statement, so verifying costs no round trip.
        fx.verified = ContactVerified(conv.contact_id, action.debtor_id)
    return None


@handles(LockContact)
async def lock_contact(action: LockContact, fx: EffectContext) -> Event | None:
    if fx.conversation.contact_id is not None:
        await fx.tx.contacts.lock(fx.conversation.contact_id, action.until)
    return None


@handles(SetOptOut)
async def set_opt_out(action: SetOptOut, fx: EffectContext) -> Event | None:
    if fx.conversation.contact_id is not None:
        await fx.tx.contacts.set_opted_out(fx.conversation.contact_id, action.opted_out, fx.now)
    return None


@handles(CloseConversation)
async def close_conversation(action: CloseConversation, fx: EffectContext) -> Event | None:
    fx.closed = True
    return None
