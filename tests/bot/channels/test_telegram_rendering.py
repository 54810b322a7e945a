"""Long texts split where a reader expects, keyboards fit Telegram's limits, codes copy cleanly."""

from __future__ import annotations

import pytest

from bot.channels.base import Button
from bot.channels.telegram.rendering import (
    TEXT_LIMIT,
    RenderError,
    code_html,
    inline_keyboard,
    split_text,
)


def test_short_text_is_one_chunk() -> None:
    assert split_text("Olá, Maria!") == ["Olá, Maria!"]


def test_long_text_splits_at_paragraphs_under_the_limit() -> None:
    paragraphs = [f"Parcela {n}: " + "x" * 900 for n in range(1, 7)]
    text = "\n\n".join(paragraphs)

    chunks = split_text(text)

    assert len(chunks) == 2
    assert all(len(chunk) <= TEXT_LIMIT for chunk in chunks)
    assert chunks[1].startswith("Parcela 5:")
    assert "\n\n".join(chunks) == text


def test_text_without_breaks_is_cut_hard() -> None:
    chunks = split_text("y" * 9000)

    assert [len(c) for c in chunks] == [4096, 4096, 808]


def test_short_labels_sit_two_per_row_long_ones_alone() -> None:
    short = inline_keyboard([Button("yes", "Sim"), Button("no", "Não"), Button("later", "Depois")])
    long = inline_keyboard([Button("pix", "PIX"), Button("agent", "Falar com uma pessoa")])

    assert short is not None
    assert long is not None
    assert [[b.callback_data for b in row] for row in short.inline_keyboard] == [
        ["yes", "no"],
        ["later"],
    ]
    assert [[b.callback_data for b in row] for row in long.inline_keyboard] == [["pix"], ["agent"]]


def test_callback_data_over_64_bytes_is_refused() -> None:
    assert inline_keyboard([Button("ã" * 32, "ok")]) is not None  # 64 bytes exactly
    with pytest.raises(RenderError, match="64-byte"):
        inline_keyboard([Button("ã" * 33, "ok")])


def test_code_is_escaped_monospace() -> None:
    assert code_html("a<b>&c") == "<code>a&lt;b&gt;&amp;c</code>"
