"""Graph API `/messages` bodies built from platform-neutral parts, fitted to Meta's limits.

Pure: the sender decides which messages to send and in what order, these functions only say
what each one looks like on the wire.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.base import Button, Template
from bot.channels.whatsapp import limits

log = logging.getLogger(__name__)

Payload = dict[str, Any]


class UnsendableMessageError(ValueError):
    """A message no fitting can make valid (e.g. an over-long button id)."""


def text_payload(to: str, body: str) -> Payload:
    """One plain text message; `body` must already fit `TEXT_BODY_MAX` (see `split_text`)."""
    return _envelope(to, "text", {"body": body, "preview_url": False})


def buttons_payload(to: str, body: str, buttons: tuple[Button, ...]) -> Payload:
    """Up to three reply buttons under `body`."""
    if len(buttons) > limits.REPLY_BUTTONS_MAX:
        raise UnsendableMessageError("more reply buttons than WhatsApp allows")
    return _envelope(
        to,
        "interactive",
        {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {
                        "type": "reply",
                        "reply": {
                            "id": _checked_id(button.id, limits.REPLY_BUTTON_ID_MAX),
                            "title": limits.shorten(button.title, limits.REPLY_BUTTON_TITLE_MAX),
                        },
                    }
                    for button in buttons
                ]
            },
        },
    )


def list_payload(to: str, body: str, buttons: tuple[Button, ...], label: str) -> Payload:
    """A list message: `label` opens it; beyond ten rows the rest are dropped with a warning."""
    if len(buttons) > limits.LIST_ROWS_MAX:
        log.warning(
            "whatsapp list: %d choices, sending the first %d", len(buttons), limits.LIST_ROWS_MAX
        )
        buttons = buttons[: limits.LIST_ROWS_MAX]
    rows: list[Payload] = []
    for button in buttons:
        row: Payload = {
            "id": _checked_id(button.id, limits.LIST_ROW_ID_MAX),
            "title": limits.shorten(button.title, limits.LIST_ROW_TITLE_MAX),
        }
        if button.description:
            row["description"] = limits.shorten(button.description, limits.LIST_ROW_DESCRIPTION_MAX)
        rows.append(row)
    return _envelope(
        to,
        "interactive",
        {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": limits.shorten(label, limits.LIST_BUTTON_LABEL_MAX),
                "sections": [{"rows": rows}],
            },
        },
    )


def choices_payload(to: str, body: str, buttons: tuple[Button, ...], list_label: str) -> Payload:
    """Reply buttons for up to three choices, a list message for more."""
    if len(buttons) <= limits.REPLY_BUTTONS_MAX:
        return buttons_payload(to, body, buttons)
    return list_payload(to, body, buttons, list_label)


def image_payload(to: str, media_id: str, caption: str) -> Payload:
    """An uploaded image, by its media id."""
    image: Payload = {"id": media_id}
    if caption:
        image["caption"] = limits.shorten(caption, limits.MEDIA_CAPTION_MAX)
    return _envelope(to, "image", image)


def template_payload(to: str, template: Template) -> Payload:
    """An approved template with its body parameters, for use outside the 24 h window."""
    content: Payload = {"name": template.name, "language": {"code": template.language}}
    if template.body_params:
        content["components"] = [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": param} for param in template.body_params],
            }
        ]
    return _envelope(to, "template", content)


def _envelope(to: str, kind: str, content: Payload) -> Payload:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": kind,
        kind: content,
    }


def _checked_id(choice_id: str, limit: int) -> str:
    if not choice_id or len(choice_id) > limit:
        raise UnsendableMessageError(f"choice id must have 1 to {limit} characters")
    return choice_id
