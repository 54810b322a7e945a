"""What a debtor does in Telegram becomes the right event, however they write or tap."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from telegram import Update

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.channels.telegram import inbound_from_update
from dialogs.flow.events import ButtonPressed, MediaReceived, StartRequested, TextReceived
from tests.fakes.telegram_api import (
    callback_update,
    media_message,
    sticker_message,
    text_message,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def convert(payload: dict[str, Any], update_id: int = 77) -> Inbound | None:
    return inbound_from_update(Update.de_json({"update_id": update_id, **payload}, None), NOW)


@pytest.mark.parametrize(
    ("language_code", "locale"),
    [
        ("pt-br", "pt_BR"),
        ("pt-BR", "pt_BR"),
        ("pt", "pt_BR"),
        ("pt-PT", "pt_BR"),
        ("en", "en"),
        ("en-US", "en"),
        ("es", "es"),
        ("es-419", "es"),
        ("de", "pt_BR"),
        ("", "pt_BR"),
        (None, "pt_BR"),
    ],
)
def test_app_language_picks_a_supported_locale(language_code: str | None, locale: str) -> None:
    inbound = convert({"message": text_message(42, "oi", language_code=language_code)})

    assert inbound is not None
    assert inbound.locale == locale


def test_text_message_becomes_text_received_with_who_and_where() -> None:
    inbound = convert({"message": text_message(42, "quero pagar", language_code="es-MX")}, 901)

    assert inbound is not None
    assert inbound.key == ConversationKey(ChannelName.TELEGRAM, "42")
    assert inbound.event == TextReceived("quero pagar")
    assert inbound.message_id == "901"
    assert inbound.locale == "es"
    assert inbound.display_name == "Maria"
    assert inbound.received_at == NOW


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("/start abc_DEF-123", "abc_DEF-123"),
        ("/start", None),
        ("/start@quita_test_bot tok_1", "tok_1"),
        ("/START  tok_2 ", "tok_2"),
    ],
)
def test_start_command_carries_the_deep_link_payload(text: str, payload: str | None) -> None:
    inbound = convert({"message": text_message(42, text)})

    assert inbound is not None
    assert inbound.event == StartRequested(payload)


def test_other_commands_and_lookalikes_are_plain_text() -> None:
    for text in ("/ajuda", "/started", "start abc"):
        inbound = convert({"message": text_message(42, text)})
        assert inbound is not None
        assert inbound.event == TextReceived(text)


def test_button_tap_becomes_button_pressed() -> None:
    inbound = convert(callback_update(42, "plan_3x", language_code="en"))

    assert inbound is not None
    assert inbound.event == ButtonPressed("plan_3x")
    assert inbound.key.address == "42"
    assert inbound.locale == "en"


@pytest.mark.parametrize(
    ("kind", "event_kind"),
    [
        ("voice", "voice"),
        ("photo", "photo"),
        ("location", "location"),
        ("contact", "contact"),
        ("document", "document"),
        ("video", "video"),
    ],
)
def test_unreadable_media_is_named(kind: str, event_kind: str) -> None:
    inbound = convert({"message": media_message(42, kind)})

    assert inbound is not None
    assert inbound.event == MediaReceived(event_kind)


def test_sticker_is_media() -> None:
    inbound = convert({"message": sticker_message(42)})

    assert inbound is not None
    assert inbound.event == MediaReceived("sticker")


def test_edited_messages_and_group_chats_are_ignored() -> None:
    assert convert({"edited_message": {**text_message(42, "editado"), "edit_date": 1}}) is None
    assert convert({"message": text_message(-100, "oi", chat_type="group")}) is None
