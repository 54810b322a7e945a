"""Turn one PTB `Update` into Quita's platform-neutral `Inbound` (or nothing, when irrelevant).

This is the whole inbound contract of the Telegram channel: polling and webhook both come here.
Only private chats count: a collection bot must never talk about debts in a group.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Chat, Message, Update

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.i18n import locale_from
from dialogs.flow.events import (
    ButtonPressed,
    Event,
    MediaReceived,
    StartRequested,
    TextReceived,
)

# Checked in order: an animation also carries `document`, a venue also carries `location`.
_MEDIA_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("sticker", "sticker"),
    ("voice", "voice"),
    ("audio", "audio"),
    ("video_note", "video"),
    ("animation", "video"),
    ("video", "video"),
    ("photo", "photo"),
    ("document", "document"),
    ("venue", "location"),
    ("location", "location"),
    ("contact", "contact"),
    ("poll", "poll"),
    ("dice", "dice"),
)


def inbound_from_update(update: Update, received_at: datetime) -> Inbound | None:
    """The `Inbound` for a message or button tap in a private chat; None for everything else.

    Edited messages, channel posts, group chats and membership updates return None.
    `message_id` is the update id, because Telegram repeats it when it redelivers an update.
    """
    event = _event_of(update)
    chat = update.effective_chat
    if event is None or chat is None or chat.type != Chat.PRIVATE:
        return None
    user = update.effective_user
    return Inbound(
        key=ConversationKey(ChannelName.TELEGRAM, str(chat.id)),
        event=event,
        received_at=received_at,
        message_id=str(update.update_id),
        locale=locale_from(user.language_code if user else None),
        display_name=user.first_name if user else None,
    )


def _event_of(update: Update) -> Event | None:
    if update.callback_query is not None:
        data = update.callback_query.data
        return ButtonPressed(choice=data) if data is not None else None
    if update.message is not None:
        return event_from_message(update.message)
    return None


def event_from_message(message: Message) -> Event:
    """Text, `/start [payload]`, or the kind of media the bot cannot read."""
    if message.text is not None:
        payload = start_payload(message.text)
        if payload is not None:
            return StartRequested(payload=payload or None)
        return TextReceived(text=message.text)
    for attribute, kind in _MEDIA_ATTRIBUTES:
        if getattr(message, attribute, None):
            return MediaReceived(kind=kind)
    return MediaReceived(kind="other")


def start_payload(text: str) -> str | None:
    """ "" for a bare `/start`, the payload for `/start <payload>`, None if not `/start` at all.

    Accepts the `/start@QuitaBot` form Telegram uses when a user taps the command in a menu.
    """
    command, _, rest = text.strip().partition(" ")
    name = command.split("@", 1)[0]
    if name.lower() != "/start":
        return None
    return rest.strip()
