"""Turn dialog actions into channel-neutral outbound messages in the debtor's locale."""

from __future__ import annotations

from bot.channels.base import Button, OutboundMessage
from bot.i18n import render
from dialogs.flow.actions import Reply


def render_reply(reply: Reply, locale: str) -> OutboundMessage:
    return OutboundMessage(
        text=render(reply.message, locale),
        buttons=tuple(Button(id=c.id, title=render(c.label, locale)) for c in reply.choices),
    )
