"""OutboundMessage <-> JSON, the form an outbox row keeps until the worker sends it."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from pydantic_core import PydanticSerializationError, from_json, to_json

from bot.channels.base import Button, OutboundMessage, Template

# The stored form: compact, non-ASCII as is. `json.dumps` with options builds a new encoder
# on each call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dump(message: OutboundMessage) -> str:
    """The reply as its outbox row keeps it. pydantic-core writes the same text as `_ENCODER`
    for every character (a test checks them all) in a third of the instructions; a lone
    surrogate, which it refuses, goes through `_ENCODER` as before."""
    data = as_dict(message)
    try:
        return to_json(data).decode()
    except PydanticSerializationError:
        return _ENCODER.encode(data)


_LOADED: dict[str, OutboundMessage] = {}
_KEPT = 1024  # per map of shared values (texts, buttons): past this many, start afresh
_K = TypeVar("_K")
_V = TypeVar("_V")
_LOADED_LONGEST = 2000  # longer texts (an image's) are read each time, not kept


def load(raw: str) -> OutboundMessage:
    """The message `dump` wrote. Replies repeat word for word (a flow's questions and menus,
    in every chat that reaches them; half of the bench's), and a message is immutable, so
    each text is read once and its message shared: reading one costs ~30,000 instructions,
    finding it ~2,000. A message with `extra` (a mutable dict) is never shared."""
    message = _LOADED.get(raw)
    if message is None:
        message = _read(raw)
        if len(raw) <= _LOADED_LONGEST and not message.extra:
            _keep(_LOADED, raw, message)
    return message


def _keep(shared: dict[_K, _V], key: _K, value: _V) -> _V:
    """Remember `value` under `key` in one of this module's shared-value maps; past
    `_KEPT` entries the map starts afresh (what repeats comes back at once)."""
    if len(shared) >= _KEPT:
        shared.clear()
    shared[key] = value
    return value


def _read(raw: str) -> OutboundMessage:
    """`load` without sharing. pydantic-core reads JSON in ~9,500 instructions where the
    json module's scanner took ~13,000; what it refuses (a lone surrogate, escaped or not,
    which the json module reads; text that is not JSON) is read by `json.loads`, with its
    errors."""
    try:
        data = from_json(raw)
    except (ValueError, TypeError):  # TypeError: a str that is not valid UTF-8
        data = json.loads(raw)
    return from_dict(data)


def as_dict(message: OutboundMessage) -> dict[str, Any]:
    data: dict[str, Any] = {"text": message.text}
    if message.buttons:
        data["buttons"] = [
            {
                "id": b.id,
                "title": b.title,
                **({"description": b.description} if b.description else {}),
            }
            for b in message.buttons
        ]
    if message.image_png is not None:
        data["image_png"] = base64.b64encode(message.image_png).decode("ascii")
        data["image_caption"] = message.image_caption
    if message.qr_payload is not None:
        data["qr_payload"] = message.qr_payload
        data["image_caption"] = message.image_caption
    if message.copy_code:
        data["copy_code"] = True
    if message.template is not None:
        data["template"] = {
            "name": message.template.name,
            "language": message.template.language,
            "body_params": list(message.template.body_params),
        }
    if message.proactive:
        data["proactive"] = True
    if message.extra:
        data["extra"] = dict(message.extra)
    return data


_BUTTONS: dict[tuple[str, str, str | None], Button] = {}
# A flow's menus have a few dozen buttons.


def _button(data: dict[str, Any]) -> Button:
    """The button `data` describes. Buttons repeat (a menu's options, in every chat that
    sees it) and are immutable, so each is built once and shared: building one costs
    ~7,000 instructions, finding it ~2,000."""
    key = (data["id"], data["title"], data.get("description"))
    button = _BUTTONS.get(key)
    if button is None:
        button = _keep(_BUTTONS, key, Button(id=key[0], title=key[1], description=key[2]))
    return button


_AS_STORED = frozenset({"text", "qr_payload", "image_caption"})
"""Keys whose stored value is the field's value as it is (a string)."""


def from_dict(data: dict[str, Any]) -> OutboundMessage:
    """The message `as_dict` describes. Most messages are text (perhaps a QR code's): their
    keys go straight to the constructor, ~15,000 instructions where reading, converting or
    defaulting every field took ~23,000 (most of either is the frozen dataclass's own)."""
    if _AS_STORED.issuperset(data):
        return OutboundMessage(**data)
    return _from_fields(data)


def _from_fields(data: dict[str, Any]) -> OutboundMessage:
    """`from_dict` for any message: each field read, converted, or defaulted."""
    template = data.get("template")
    image = data.get("image_png")
    return OutboundMessage(
        text=data.get("text", ""),
        buttons=tuple([_button(b) for b in data.get("buttons", ())]),
        image_png=base64.b64decode(image) if image else None,
        image_caption=data.get("image_caption", ""),
        qr_payload=data.get("qr_payload"),
        copy_code=bool(data.get("copy_code", False)),
        template=Template(
            name=template["name"],
            language=template["language"],
            body_params=tuple(template.get("body_params", ())),
        )
        if template
        else None,
        proactive=bool(data.get("proactive", False)),
        extra=dict(data.get("extra", {})),
    )
