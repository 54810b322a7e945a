"""WhatsApp's per-field length limits, and fitting our text into them without breaking words.

Meta rejects a whole message when one title is a character too long, so every field is fitted
here before it leaves; shortening keeps whole words and ends with an ellipsis.
"""

from __future__ import annotations

import textwrap

TEXT_BODY_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
MEDIA_CAPTION_MAX = 1024
REPLY_BUTTONS_MAX = 3
REPLY_BUTTON_TITLE_MAX = 20
REPLY_BUTTON_ID_MAX = 256
LIST_ROWS_MAX = 10
LIST_ROW_TITLE_MAX = 24
LIST_ROW_DESCRIPTION_MAX = 72
LIST_ROW_ID_MAX = 200
LIST_BUTTON_LABEL_MAX = 20

ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """Fit `text` into `limit` characters, cutting at a word boundary when that keeps most of it."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    by_words = textwrap.shorten(text, width=limit, placeholder=ELLIPSIS)
    if len(by_words) > limit // 2:
        return by_words
    return text[: limit - 1].rstrip() + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """Split long text into parts of at most `limit` characters.

    Prefers paragraph breaks, then line breaks, then spaces, so a reader sees whole sentences;
    only a single unbroken run longer than `limit` is cut mid-word.
    """
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
