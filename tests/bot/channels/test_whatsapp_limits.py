"""Fitting text into WhatsApp's field limits without losing meaning."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.base import SendErrorKind
from bot.channels.whatsapp.errors import classify_error
from bot.channels.whatsapp.limits import shorten, split_text


def test_short_titles_are_left_alone() -> None:
    assert shorten("6x de R$ 89,90", 20) == "6x de R$ 89,90"


def test_long_titles_are_cut_at_a_word_with_an_ellipsis() -> None:
    assert shorten("Falar com uma pessoa agora mesmo", 20) == "Falar com uma…"


def test_a_single_long_word_is_cut_hard() -> None:
    assert shorten("Supercalifragilisticexpialidocious", 10) == "Supercali…"


@given(st.text(min_size=1, max_size=200), st.integers(min_value=2, max_value=80))
def test_shortened_text_never_exceeds_the_limit(text: str, limit: int) -> None:
    assert len(shorten(text, limit)) <= limit


@given(st.text(max_size=3000), st.integers(min_value=20, max_value=500))
def test_split_parts_fit_and_keep_every_word(text: str, limit: int) -> None:
    parts = split_text(text, limit)

    assert all(0 < len(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


def test_split_prefers_paragraph_breaks() -> None:
    text = "a" * 30 + "\n\n" + "b " * 10 + "\n\n" + "c" * 30

    assert split_text(text, 60) == ["a" * 30 + "\n\n" + ("b " * 10).strip(), "c" * 30]


def test_5xx_with_a_meta_error_code_that_says_retry_is_retried() -> None:
    body = {"error": {"code": 2, "message": "Service temporarily unavailable"}}

    assert classify_error(503, body).kind is SendErrorKind.RETRY


def test_window_error_wins_over_the_http_status() -> None:
    body = {"error": {"code": 131047, "message": "Re-engagement message"}}

    assert classify_error(400, body).kind is SendErrorKind.OUTSIDE_WINDOW


def test_an_unreadable_4xx_is_permanent_and_a_bad_hint_is_ignored() -> None:
    error = classify_error(400, None, retry_after_header="soon")

    assert error.kind is SendErrorKind.PERMANENT
    assert error.retry_after is None
