"""The contract every channel implements, in both directions.

Inbound: a channel builds an `Inbound` (who, which platform message, what happened) and hands
it to `ConversationService.handle`. Outbound: the outbox worker gives a rendered
`OutboundMessage` to the channel's `Sender`, which either returns the platform's message id
or raises `SendError` saying whether and when to try again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from dialogs.flow.events import Event


class ChannelName(enum.StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    WEBCHAT = "webchat"


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """A chat on one platform: the channel and the platform's address (chat id, wa_id, session)."""

    channel: ChannelName
    address: str


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing that happened in a chat, ready for the service.

    `message_id` is the platform's id (Telegram update/message id, WhatsApp wamid, web chat
    client id) and is the dedupe key; None for events without one (then `idempotency_key`).
    """

    key: ConversationKey
    event: Event
    received_at: datetime
    message_id: str | None = None
    idempotency_key: str | None = None
    locale: str | None = None
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    id: str
    title: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Template:
    """A pre-approved WhatsApp template (outside the 24 h window)."""

    name: str
    language: str
    body_params: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message rendered for the debtor's locale, in platform-neutral form.

    Exactly one of text / image / template carries the content; `buttons` go with text;
    `copy_code` marks text meant to be copied as is (PIX copia e cola), shown monospace.
    `qr_payload` asks for a QR code image of that text: it is drawn at delivery time (see
    `bot.outbound_media`), outside the transaction, so rows stay small and commits fast.
    """

    text: str = ""
    buttons: tuple[Button, ...] = ()
    image_png: bytes | None = None
    qr_payload: str | None = None
    image_caption: str = ""
    copy_code: bool = False
    template: Template | None = None
    proactive: bool = False
    extra: dict[str, str] = field(default_factory=dict)


class SendErrorKind(enum.StrEnum):
    RETRY = "retry"  # network error, 5xx, rate limit without a hint: back off and retry
    RETRY_AFTER = "retry_after"  # the platform said when (429 retry_after)
    UNREACHABLE = "unreachable"  # blocked the bot / no such user: mark contact, stop proactive
    OPTED_OUT = "opted_out"  # the user opted out on the platform
    OUTSIDE_WINDOW = "outside_window"  # WhatsApp 24 h window closed: needs a template
    PERMANENT = "permanent"  # bad request: record, never retry


@dataclass(frozen=True, slots=True)
class RefusedMessage:
    """A message a platform would not deliver: refused when it was sent, or reported later in
    a `failed` status (see `bot.refusals`)."""

    conversation_id: int
    channel: str
    address: str
    message: OutboundMessage


class SendError(Exception):
    """Why a send failed and what the outbox should do about it."""

    def __init__(
        self, kind: SendErrorKind, reason: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after


class Sender(Protocol):
    """Delivers one rendered message to one address; returns the platform message id."""

    channel: ChannelName

    async def send(self, address: str, message: OutboundMessage) -> str: ...


class InboundSink(Protocol):
    """Where channels deliver inbound events: `ConversationService` in production.

    `accept` returns only once the inbound is durably recorded (so a webhook may answer 200)
    and is idempotent on `Inbound.message_id` per channel.
    """

    async def accept(self, inbound: Inbound) -> None: ...


class DeliveryStatusSink(Protocol):
    """Where channels report what happened to a sent message (sent/delivered/read/failed).

    Statuses may arrive out of order; the sink never moves a message's status backwards.
    `error` says why a `failed` message failed (platform error codes, no personal data), and
    `kind` what that means, as for a refused send (e.g. `OUTSIDE_WINDOW`).
    """

    async def delivery_status(
        self,
        channel: ChannelName,
        channel_message_id: str,
        status: str,
        at: datetime,
        error: str | None = None,
        kind: SendErrorKind | None = None,
    ) -> None: ...
