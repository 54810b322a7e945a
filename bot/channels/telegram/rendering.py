"""Telegram-specific shapes for an `OutboundMessage`: chunks, inline keyboards, copyable code.

Pure functions, so the limits (4096 chars, 1024-char captions, 64-byte callback data) are
checked and tested without a network.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.channels.base import Button

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes, UTF-8
SHORT_LABEL = 14  # labels up to this many characters sit two to a row


class RenderError(ValueError):
    """The message cannot be expressed on Telegram as given: a bug upstream, not the network."""


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut text into chunks of at most `limit` chars, preferring paragraph, then line, then
    word boundaries, so a long statement reads naturally across messages."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = _last_boundary(window)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest.strip() or not chunks:
        chunks.append(rest)
    return [chunk for chunk in chunks if chunk] or [text]


def _last_boundary(window: str) -> int:
    for separator in ("\n\n", "\n", " "):
        index = window.rfind(separator)
        if index > len(window) // 2:
            return index + len(separator)
    return len(window)


def inline_keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """One button per row, or two per row when every label is short (e.g. "Sim" / "Não")."""
    if not buttons:
        return None
    for button in buttons:
        if len(button.id.encode("utf-8")) > CALLBACK_DATA_LIMIT:
            raise RenderError(
                f"button id {button.id!r} is longer than Telegram's "
                f"{CALLBACK_DATA_LIMIT}-byte callback_data limit"
            )
    return _keyboard(tuple(buttons))


@functools.lru_cache(maxsize=1024)
def _keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup:
    """Built once per set of buttons: a dialog offers the same few choices again and again,
    and PTB's objects cost ~20 µs to build. They are immutable, so sharing one is safe."""
    keys = [InlineKeyboardButton(text=b.title, callback_data=b.id) for b in buttons]
    per_row = 2 if all(len(b.title) <= SHORT_LABEL for b in buttons) else 1
    rows = [keys[i : i + per_row] for i in range(0, len(keys), per_row)]
    return InlineKeyboardMarkup(rows)


def code_html(text: str) -> str:
    """Text shown monospace and tap-to-copy (PIX copia e cola), escaped for parse_mode=HTML."""
    return f"<code>{html.escape(text, quote=False)}</code>"


@dataclass(frozen=True, slots=True)
class TextPart:
    """One `sendMessage` call."""

    text: str
    parse_mode: str | None
    keyboard: InlineKeyboardMarkup | None


def text_parts(
    text: str, keyboard: InlineKeyboardMarkup | None, *, copy_code: bool = False
) -> list[TextPart]:
    """The messages a text becomes: a code as one monospace, tap-to-copy message (it must not
    be cut), anything else in chunks with the keyboard under the last one."""
    if copy_code:
        body = code_html(text)
        if len(body) > TEXT_LIMIT:
            raise RenderError(f"code is too long for one Telegram message ({len(text)} chars)")
        return [TextPart(body, ParseMode.HTML, keyboard)]
    chunks = split_text(text)
    return [
        TextPart(chunk, None, keyboard if number == len(chunks) else None)
        for number, chunk in enumerate(chunks, start=1)
    ]
