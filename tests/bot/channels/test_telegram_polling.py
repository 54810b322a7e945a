"""Polling through the real python-telegram-bot stack against the loopback Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from telegram.error import InvalidToken

from bot.channels.base import ChannelName, ConversationKey, Inbound, OutboundMessage
from bot.channels.telegram import TelegramChannel
from bot.clock import ManualClock
from dialogs.flow.events import ButtonPressed, MediaReceived, StartRequested, TextReceived
from tests.fakes.telegram_api import FakeTelegramApi, RecordingSink, text_message

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
async def channel(fake: FakeTelegramApi, sink: RecordingSink) -> AsyncIterator[TelegramChannel]:
    polling = TelegramChannel(
        token=fake.token,
        sink=sink,
        base_url=fake.base_url,
        poll_timeout=1,
        clock=ManualClock(NOW),
    )
    await polling.start()
    try:
        yield polling
    finally:
        await polling.stop()


async def test_text_arrives_as_an_inbound_with_locale(
    fake: FakeTelegramApi, sink: RecordingSink, channel: TelegramChannel
) -> None:
    update_id = await fake.push_text(5001, "Oi, recebi uma mensagem", language_code="en-GB")

    [inbound] = await sink.wait_for_count(1)

    assert inbound == Inbound(
        key=ConversationKey(ChannelName.TELEGRAM, "5001"),
        event=TextReceived("Oi, recebi uma mensagem"),
        received_at=NOW,
        message_id=str(update_id),
        locale="en",
        display_name="Maria",
    )


async def test_deep_link_start_button_and_sticker(
    fake: FakeTelegramApi, sink: RecordingSink, channel: TelegramChannel
) -> None:
    await fake.push_text(5002, "/start abc_DEF-123", language_code=None)
    await fake.push_callback(5002, "plan_3x")
    await fake.push_sticker(5002)

    inbounds = await sink.wait_for_count(3)

    assert [i.event for i in inbounds] == [
        StartRequested("abc_DEF-123"),
        ButtonPressed("plan_3x"),
        MediaReceived("sticker"),
    ]
    assert inbounds[0].locale == "pt_BR"
    [answer] = await fake.wait_for_calls("answerCallbackQuery")
    assert str(answer.params["callback_query_id"]).startswith("cq-")


async def test_edits_and_groups_are_skipped(
    fake: FakeTelegramApi, sink: RecordingSink, channel: TelegramChannel
) -> None:
    await fake.push_update({"edited_message": {**text_message(5003, "editei"), "edit_date": 1}})
    await fake.push_update({"message": text_message(5003, "oi", chat_type="group")})
    await fake.push_text(5003, "depois")

    await sink.wait_for_count(1)

    assert sink.events_in("5003") == [TextReceived("depois")]


async def test_a_failing_sink_is_survived_and_the_button_still_answered(
    fake: FakeTelegramApi, sink: RecordingSink, channel: TelegramChannel
) -> None:
    sink.failures_left = 1
    await fake.push_callback(5004, "pay_pix")
    await fake.wait_for_calls("answerCallbackQuery")
    await fake.push_text(5004, "ainda aqui?")

    await sink.wait_for_count(1)

    assert sink.events_in("5004") == [TextReceived("ainda aqui?")]


async def test_two_hundred_chats_at_once_keep_their_own_order(
    fake: FakeTelegramApi, sink: RecordingSink, channel: TelegramChannel
) -> None:
    chats = range(7000, 7200)
    # Each chat's three messages sit next to each other, as when someone types quickly.
    batch = [{"message": text_message(chat, f"mensagem {n}")} for chat in chats for n in range(3)]
    await fake.push_many(batch)

    await sink.wait_for_count(600, timeout=30)

    for chat in chats:
        assert sink.events_in(str(chat)) == [TextReceived(f"mensagem {n}") for n in range(3)]
    assert len({i.message_id for i in sink.inbounds}) == 600
    assert sink.max_in_flight > 10, "different chats should be handled side by side"


async def test_the_channel_sender_replies_through_the_same_bot(
    fake: FakeTelegramApi, channel: TelegramChannel
) -> None:
    message_id = await channel.sender.send("5005", OutboundMessage(text="Olá! Sou a Quita."))

    [call] = await fake.wait_for_calls("sendMessage", chat_id=5005)
    assert call.params["text"] == "Olá! Sou a Quita."
    assert message_id == "5005:1"  # chat id and message id: Telegram numbers per chat
    assert fake.sent_to(5005) == ["Olá! Sou a Quita."]


async def test_stop_is_prompt_and_leaves_no_long_poll_behind(
    fake: FakeTelegramApi, sink: RecordingSink
) -> None:
    polling = TelegramChannel(token=fake.token, sink=sink, base_url=fake.base_url, poll_timeout=30)
    await polling.start()
    await fake.wait_for_calls("getUpdates")

    await polling.stop()
    polls_after_stop = len(fake.calls_to("getUpdates"))
    await fake.push_text(5006, "alguém?")

    assert not polling.application.running
    assert len(fake.calls_to("getUpdates")) == polls_after_stop
    assert sink.inbounds == []


async def test_a_bad_token_fails_start_loudly_and_cleanly(
    fake: FakeTelegramApi, sink: RecordingSink
) -> None:
    wrong = TelegramChannel(token="999:wrong", sink=sink, base_url=fake.base_url, poll_timeout=1)

    with pytest.raises(InvalidToken):
        await wrong.start()

    assert not wrong.application.running
    assert fake.calls_to("getUpdates") == []
