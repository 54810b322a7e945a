"""WhatsApp's 24 h window, applied when replies are written (the render-time guard).

Only replies that are not answers to the debtor can meet a closed window: reminders and other
proactive messages, agent messages, payment thank-yous. Messages that carry a template go out
as that template; the others cannot go out, so they are recorded as failed with the reason
(the console shows them) and the policy's re-engagement template invites the debtor to reply.
Inside the window everything goes out free-form. The send-time guard (Meta's 131047) is
`bot/channels/whatsapp/reengage.py::OutsideWindowFallback`, registered with the outbox.
"""

from __future__ import annotations

from bot.channels.base import ChannelName
from bot.channels.whatsapp.reengage import OUTSIDE_WINDOW, reengagement
from bot.channels.whatsapp.templates import for_closed_window, for_open_window
from bot.channels.whatsapp.window import window_open
from bot.effects.base import EffectContext, Outgoing, guards_outbound
from dialogs.frozen import evolve


@guards_outbound
async def fit_whatsapp_window(fx: EffectContext, planned: list[Outgoing]) -> list[Outgoing]:
    conversation = fx.conversation
    if conversation.channel != ChannelName.WHATSAPP.value or not planned:
        return planned
    if window_open(conversation.last_inbound_at, fx.now):
        return [evolve(item, message=for_open_window(item.message)) for item in planned]
    templates = [for_closed_window(item.message) for item in planned]
    if all(template is not None for template in templates):
        return [
            evolve(item, message=template)
            for item, template in zip(planned, templates, strict=True)
            if template is not None
        ]
    invitation, note = await reengagement(fx.tx, conversation, fx.policy, fx.now)
    reason = f"{OUTSIDE_WINDOW}; {note}"
    fitted = [
        evolve(item, refused=reason) if template is None else evolve(item, message=template)
        for item, template in zip(planned, templates, strict=True)
    ]
    return fitted if invitation is None else [*fitted, Outgoing(invitation, "bot")]
