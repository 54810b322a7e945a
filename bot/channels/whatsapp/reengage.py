"""When free-form messages can no longer reach a debtor (24 h window closed): send a template.

Three moments need it. At render time (`bot/effects/whatsapp_window.py`) a reply for a chat
whose window is closed is refused and the policy's `reengagement` template goes out instead.
At send time Meta may still answer 131047 (our clock and Meta's disagree, the outbox was backed
up), or accept the message and report it `failed` with 131047 in a later status: for both,
`OutsideWindowFallback` (the outbox's and the service's handler) queues the message's own
template or the re-engagement one. The re-engagement template goes out at most once per closed
window per chat (keyed on the debtor's last message), so a burst of refused messages never
becomes a burst of templates. Every refused message stays in the transcript as failed, with
the reason, for the console.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.channels.base import OutboundMessage, RefusedMessage
from bot.channels.whatsapp.templates import (
    REENGAGEMENT_KEY,
    TemplateParamsError,
    fallback_of,
    fill_template,
)
from bot.outbound_codec import as_dict, dump
from dialogs.negotiation.policy import Policy
from storage import ConversationRow, NewOutbox, UnitOfWork

log = logging.getLogger(__name__)

OUTSIDE_WINDOW = "outside the whatsapp 24 h window"


async def reengagement(
    tx: UnitOfWork, conversation: ConversationRow, policy: Policy, now: datetime
) -> tuple[OutboundMessage | None, str]:
    """The re-engagement template to send now, or None; and a note saying what happened."""
    if conversation.contact_id is not None:
        contact = await tx.contacts.get(conversation.contact_id)
        if contact is not None and contact.opted_out_at is not None:
            return None, "the debtor opted out; no template sent"
    template = policy.template(REENGAGEMENT_KEY)
    if template is None:
        return None, f"no {REENGAGEMENT_KEY!r} template in the policy"
    try:
        filled = fill_template(template, await template_values(tx, conversation, policy))
    except TemplateParamsError as error:
        return None, str(error)
    since = conversation.last_inbound_at.isoformat() if conversation.last_inbound_at else "never"
    recorded = await tx.inbound.record(
        "event", f"whatsapp-reengagement:{conversation.id}:{since}", "{}", now=now
    )
    if recorded is None:
        return None, f"template {template.name} already sent since the debtor's last message"
    await tx.inbound.mark_processed(recorded, now=now)
    return OutboundMessage(template=filled, proactive=True), f"template {template.name} sent"


async def template_values(
    tx: UnitOfWork, conversation: ConversationRow, policy: Policy
) -> dict[str, str]:
    """Values for the parameters a generic template may use: the creditor and a first name."""
    values = {"creditor": policy.creditor.name}
    if conversation.debtor_id is not None:
        debtor = await tx.debtors.get(conversation.debtor_id)
        if debtor is not None and debtor.name.split():
            values["name"] = debtor.name.split()[0].title()
    return values


class OutsideWindowFallback:
    """The handler for WhatsApp 131047: queue a template in the refused message's place."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    async def __call__(self, tx: UnitOfWork, refused: RefusedMessage, now: datetime) -> str:
        message = refused.message
        template = fallback_of(message)
        replacement: OutboundMessage | None
        if template is not None:
            replacement = OutboundMessage(text=message.text, template=template, proactive=True)
            note = f"sent as template {template.name}"
        else:
            conversation = await tx.conversations.get(refused.conversation_id)
            if conversation is None:
                return "conversation not found"
            replacement, note = await reengagement(tx, conversation, self._policy, now)
        if replacement is not None:
            await queue(tx, refused, replacement, now)
        log.info("conversation %s: outside the window, %s", refused.conversation_id, note)
        return note


async def queue(
    tx: UnitOfWork, refused: RefusedMessage, message: OutboundMessage, now: datetime
) -> None:
    """Record `message` in the transcript and queue it for the refused message's chat."""
    message_id = await tx.messages.add_outbound(
        refused.conversation_id,
        refused.channel,
        message.text,
        as_dict(message),
        author="bot",
        now=now,
    )
    await tx.outbox.enqueue(
        [
            NewOutbox(
                conversation_id=refused.conversation_id,
                channel=refused.channel,
                address=refused.address,
                payload=dump(message),
                idempotency_key=f"msg:{message_id}",
                message_id=message_id,
                available_at=now,
                proactive=message.proactive,
            )
        ],
        now=now,
    )
