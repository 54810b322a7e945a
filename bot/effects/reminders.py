"""Effects for messages the bot writes first: rendered like any reply, marked proactive, and
carrying the policy's WhatsApp template so the sender can use it outside the 24 h window."""

from __future__ import annotations

import logging

from bot.channels.base import ChannelName
from bot.channels.whatsapp.templates import TemplateParamsError, fill_template
from bot.effects.base import EffectContext, handles
from bot.i18n import format_param
from bot.rendering import render_reply
from dialogs.flow.actions import Reply, SendReminder
from dialogs.flow.events import Event
from dialogs.frozen import evolve

log = logging.getLogger(__name__)


@handles(SendReminder)
async def send_reminder(action: SendReminder, fx: EffectContext) -> Event | None:
    locale = fx.context.locale
    message = evolve(render_reply(Reply(action.message, action.choices), locale), proactive=True)
    template = fx.policy.template(action.template) if action.template else None
    if template is not None and fx.conversation.channel == ChannelName.WHATSAPP.value:
        values = {
            name: format_param(value, locale) for name, value in action.message.params.items()
        }
        try:
            message = evolve(message, template=fill_template(template, values))
        except TemplateParamsError:
            log.warning("template %s: a parameter is missing; sending text only", template.key)
    fx.say(message)
    return None
