"""Turn a WhatsApp Cloud API webhook body into Quita's inbounds and delivery statuses.

Pure functions over the decoded JSON: no I/O, no clock. The shape is Meta's
(`object` → `entry[]` → `changes[]` → `value`); unknown keys are ignored so new Meta fields
never break intake, but a body whose skeleton is wrong raises `MalformedPayloadError`.

Handled `value` keys:
- `messages[]`: text → `TextReceived`; `interactive.button_reply` / `list_reply` and template
  quick-reply `button` → `ButtonPressed`; anything else (sticker, audio, image, location,
  reaction, unsupported, types Meta adds later) → `MediaReceived(type)`; `system` notices
  (e.g. the user changed number) are not things the debtor said and are skipped.
- `statuses[]`: sent / delivered / read / failed (with error codes) → `StatusUpdate`.
- `user_preferences[]` (Meta's `user_preferences` webhook field, `category:
  "marketing_messages"`, `value: "stop" | "resume"`) → `OptOutSignal(True / False)`. It is read
  from any change that carries it, whatever the `field` says.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.channels.base import ChannelName, ConversationKey, Inbound, SendErrorKind
from bot.channels.whatsapp.errors import KIND_BY_CODE
from dialogs.flow.events import ButtonPressed, Event, MediaReceived, OptOutSignal, TextReceived

log = logging.getLogger(__name__)

LOCALE = "pt_BR"
DELIVERY_STATUSES = frozenset({"sent", "delivered", "read", "failed"})
HANDLED_FIELDS = frozenset({"messages", "user_preferences"})
SKIPPED_MESSAGE_TYPES = frozenset({"system"})


class MalformedPayloadError(ValueError):
    """The body is not a WhatsApp webhook we can read; answer 400 and record nothing."""


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """What happened to a message Quita sent: `status` is sent, delivered, read or failed."""

    message_id: str
    status: str
    at: datetime
    recipient: str
    error_codes: tuple[int, ...] = ()

    @property
    def error(self) -> str | None:
        """Why a `failed` message failed, for the console: Meta's error codes, nothing personal."""
        if self.status != "failed":
            return None
        codes = ", ".join(str(code) for code in self.error_codes) or "unknown"
        return f"whatsapp error {codes}"

    @property
    def kind(self) -> SendErrorKind | None:
        """What a `failed` status means, as for a refused send (131047: outside the window)."""
        if self.status != "failed":
            return None
        return next((KIND_BY_CODE[c] for c in self.error_codes if c in KIND_BY_CODE), None)


Parsed = Inbound | StatusUpdate


def parse_webhook(payload: object) -> list[Parsed]:
    """Every inbound and status in the body, in the order Meta listed them."""
    body = _mapping(payload, "body")
    kind = body.get("object")
    if kind is not None and kind != "whatsapp_business_account":
        raise MalformedPayloadError("not a WhatsApp Business Account notification")
    parsed: list[Parsed] = []
    for entry in _list(body.get("entry"), "entry"):
        for change in _list(_mapping(entry, "entry").get("changes"), "changes"):
            parsed.extend(parse_change(_mapping(change, "change")))
    return parsed


def parse_change(change: Mapping[str, Any]) -> list[Parsed]:
    """One `changes[]` item: its messages, statuses and preference signals."""
    field = change.get("field")
    value = _mapping(change.get("value"), "change value")
    if field not in HANDLED_FIELDS:
        log.debug("whatsapp webhook: ignoring field %r", field)
        return []
    names = _display_names(value)
    parsed: list[Parsed] = []
    for raw in _list(value.get("messages", []), "messages"):
        inbound = parse_message(_mapping(raw, "message"), names)
        if inbound is not None:
            parsed.append(inbound)
    for raw in _list(value.get("statuses", []), "statuses"):
        status = parse_status(_mapping(raw, "status"))
        if status is not None:
            parsed.append(status)
    for raw in _list(value.get("user_preferences", []), "user_preferences"):
        signal = parse_preference(_mapping(raw, "user preference"), names)
        if signal is not None:
            parsed.append(signal)
    return parsed


def parse_message(message: Mapping[str, Any], names: Mapping[str, str]) -> Inbound | None:
    """One `messages[]` item as an `Inbound`, or None for system notices."""
    kind = _str(message.get("type"), "message type")
    if kind in SKIPPED_MESSAGE_TYPES:
        log.debug("whatsapp webhook: skipping %s message", kind)
        return None
    wa_id = _sender(message, names)
    return Inbound(
        key=ConversationKey(ChannelName.WHATSAPP, wa_id),
        event=message_event(kind, message),
        received_at=_timestamp(message.get("timestamp")),
        message_id=_str(message.get("id"), "message id"),
        locale=LOCALE,
        display_name=names.get(wa_id),
    )


def message_event(kind: str, message: Mapping[str, Any]) -> Event:
    """What the debtor did, from the message's `type` and its same-named object."""
    if kind == "text":
        text = _mapping(message.get("text"), "text")
        return TextReceived(text=_str(text.get("body", ""), "text body"))
    if kind == "interactive":
        interactive = _mapping(message.get("interactive"), "interactive")
        reply_kind = interactive.get("type")
        if reply_kind in ("button_reply", "list_reply"):
            reply = _mapping(interactive.get(reply_kind), str(reply_kind))
            return ButtonPressed(choice=_str(reply.get("id"), "reply id"))
        return MediaReceived(kind="interactive")
    if kind == "button":
        button = _mapping(message.get("button"), "button")
        payload = button.get("payload") or button.get("text")
        return ButtonPressed(choice=_str(payload, "button payload"))
    return MediaReceived(kind=kind)


def parse_status(status: Mapping[str, Any]) -> StatusUpdate | None:
    """One `statuses[]` item; statuses Quita does not track (e.g. `deleted`) give None."""
    name = _str(status.get("status"), "status")
    if name not in DELIVERY_STATUSES:
        log.debug("whatsapp webhook: ignoring status %r", name)
        return None
    codes = tuple(
        code
        for error in _list(status.get("errors", []), "errors")
        if isinstance(code := _mapping(error, "error").get("code"), int)
    )
    return StatusUpdate(
        message_id=_str(status.get("id"), "status id"),
        status=name,
        at=_timestamp(status.get("timestamp")),
        recipient=_str(status.get("recipient_id", ""), "recipient id"),
        error_codes=codes,
    )


def parse_preference(pref: Mapping[str, Any], names: Mapping[str, str]) -> Inbound | None:
    """A marketing-messages stop/resume as an `OptOutSignal`; other preferences give None."""
    value = pref.get("value")
    if pref.get("category", "marketing_messages") != "marketing_messages" or value not in (
        "stop",
        "resume",
    ):
        log.debug("whatsapp webhook: ignoring user preference")
        return None
    wa_id = _str(pref.get("wa_id"), "preference wa_id")
    at = _timestamp(pref.get("timestamp"))
    return Inbound(
        key=ConversationKey(ChannelName.WHATSAPP, wa_id),
        event=OptOutSignal(opted_out=value == "stop"),
        received_at=at,
        idempotency_key=f"whatsapp-preference:{wa_id}:{value}:{int(at.timestamp())}",
        locale=LOCALE,
        display_name=names.get(wa_id),
    )


def _display_names(value: Mapping[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for raw in _list(value.get("contacts", []), "contacts"):
        contact = _mapping(raw, "contact")
        wa_id = contact.get("wa_id")
        profile = contact.get("profile")
        name = profile.get("name") if isinstance(profile, Mapping) else None
        if isinstance(wa_id, str) and isinstance(name, str):
            names[wa_id] = name
    return names


def _sender(message: Mapping[str, Any], names: Mapping[str, str]) -> str:
    sender = message.get("from")
    if isinstance(sender, str) and sender:
        return sender
    if len(names) == 1:
        return next(iter(names))
    raise MalformedPayloadError("message without a sender")


def _timestamp(raw: object) -> datetime:
    """Meta sends Unix seconds, as a string in messages and statuses, as a number elsewhere."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise MalformedPayloadError("missing or invalid timestamp")
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (ValueError, OverflowError, OSError):
        raise MalformedPayloadError("missing or invalid timestamp") from None


def _mapping(raw: object, what: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise MalformedPayloadError(f"{what} is not an object")
    return raw


def _list(raw: object, what: str) -> list[Any]:
    if not isinstance(raw, list):
        raise MalformedPayloadError(f"{what} is not a list")
    return raw


def _str(raw: object, what: str) -> str:
    if not isinstance(raw, str):
        raise MalformedPayloadError(f"{what} is not a string")
    return raw
