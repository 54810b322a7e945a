"""Turn dialog actions into channel-neutral outbound messages in the debtor's locale."""

from __future__ import annotations

from functools import lru_cache

from bot.channels.base import Button, OutboundMessage
from bot.i18n import render
from dialogs.flow.actions import Choice, Message, Reply


def render_reply(reply: Reply, locale: str) -> OutboundMessage:
    return OutboundMessage(
        text=render(reply.message, locale),
        buttons=tuple(_button(choice, locale) for choice in reply.choices),
    )


def _button(choice: Choice, locale: str) -> Button:
    if choice.label.params:
        return Button(id=choice.id, title=render(choice.label, locale))
    return _plain_button(choice.id, choice.label.id, locale)


@lru_cache(maxsize=4096)
def _plain_button(choice_id: str, label_id: str, locale: str) -> Button:
    """Most buttons ([Parcelar], [PIX], [Confirmar]) have no parameters: each is the same
    (frozen) Button every time, built once per locale instead of once per reply."""
    return Button(id=choice_id, title=render(Message(label_id), locale))
