"""Choosing between a free-form message and an approved template, by the 24 h window.

Pure functions over `OutboundMessage`. A proactive message (a reminder, outreach) is rendered
with both its free-form text and the policy's template (`OutboundMessage.template`): inside the
window the text goes out (free of charge, with buttons) and the template is kept aside in
`extra` in case Meta still answers 131047 at send time; outside the window only the template
can go out. A message without a template cannot go out at all when the window is closed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

from bot.channels.base import OutboundMessage, Template
from dialogs.negotiation.policy import WhatsAppTemplate

FALLBACK_TEMPLATE_KEY = "whatsapp_fallback_template"
"""`OutboundMessage.extra` key holding the template to send if the free-form text is refused."""

REENGAGEMENT_KEY = "reengagement"
"""Policy template key sent when free-form messages cannot reach the debtor any more."""


class TemplateParamsError(ValueError):
    """A template needs a parameter nobody supplied; sending it would be refused by Meta."""


def fill_template(template: WhatsAppTemplate, values: Mapping[str, str]) -> Template:
    """The policy's template with its body parameters filled in, in the order it declares."""
    missing = [name for name in template.params if not values.get(name)]
    if missing:
        raise TemplateParamsError(f"template {template.key!r} has no value for {missing}")
    return Template(template.name, template.language, tuple(values[n] for n in template.params))


def has_free_form(message: OutboundMessage) -> bool:
    return bool(message.text or message.buttons or message.image_png is not None)


def for_open_window(message: OutboundMessage) -> OutboundMessage:
    """Inside the window: send the free-form text, keep any template as the fallback."""
    if message.template is None or not has_free_form(message):
        return message
    extra = {**message.extra, FALLBACK_TEMPLATE_KEY: _encode(message.template)}
    return replace(message, template=None, extra=extra)


def for_closed_window(message: OutboundMessage) -> OutboundMessage | None:
    """Outside the window: the template alone (text stays for the transcript); None if none."""
    template = message.template or fallback_of(message)
    if template is None:
        return None
    return OutboundMessage(
        text=message.text or message.image_caption,
        template=template,
        proactive=message.proactive,
    )


def fallback_of(message: OutboundMessage) -> Template | None:
    """The template kept aside by `for_open_window`, if any."""
    raw = message.extra.get(FALLBACK_TEMPLATE_KEY)
    if raw is None:
        return None
    data = json.loads(raw)
    return Template(data["name"], data["language"], tuple(data["body_params"]))


def _encode(template: Template) -> str:
    return json.dumps(
        {
            "name": template.name,
            "language": template.language,
            "body_params": list(template.body_params),
        },
        ensure_ascii=False,
    )
