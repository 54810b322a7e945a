"""What the debtor sees on Telegram, and what the outbox is told when Telegram says no."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator

import pytest
import segno
from telegram import Bot

from bot.channels.base import Button, OutboundMessage, SendError, SendErrorKind
from bot.channels.telegram import TelegramSender
from bot.channels.telegram.http import AiohttpRequest
from tests.fakes.telegram_api import FakeTelegramApi

CHAT = 4242
CHOICES = (
    Button("pay_pix", "PIX"),
    Button("pay_boleto", "Boleto"),
    Button("talk_agent", "Falar com uma pessoa"),
)


def bot_for(base_url: str, token: str) -> Bot:
    return Bot(token, base_url=base_url, request=AiohttpRequest(connection_pool_size=4))


@pytest.fixture
async def sender(fake: FakeTelegramApi) -> AsyncIterator[TelegramSender]:
    async with bot_for(fake.base_url, fake.token) as bot:
        yield TelegramSender(bot)


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=4)
    return out.getvalue()


async def test_choices_become_inline_buttons_carrying_their_ids(
    fake: FakeTelegramApi, sender: TelegramSender
) -> None:
    message_id = await sender.send(
        str(CHAT), OutboundMessage(text="Como prefere pagar?", buttons=CHOICES)
    )

    [call] = fake.calls_to("sendMessage", chat_id=CHAT)
    rows = call.params["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in rows] == [
        ["pay_pix"],
        ["pay_boleto"],
        ["talk_agent"],
    ]
    assert [b["text"] for row in rows for b in row] == ["PIX", "Boleto", "Falar com uma pessoa"]
    assert call.params["text"] == "Como prefere pagar?"
    chat, _, number = message_id.partition(":")
    assert chat == str(CHAT)
    assert number.isdigit()


async def test_a_button_id_over_64_bytes_is_refused_before_sending(
    fake: FakeTelegramApi, sender: TelegramSender
) -> None:
    with pytest.raises(SendError) as caught:
        await sender.send(str(CHAT), OutboundMessage(text="?", buttons=(Button("x" * 65, "X"),)))

    assert caught.value.kind is SendErrorKind.PERMANENT
    assert "64-byte" in caught.value.reason
    assert fake.calls_to("sendMessage") == []


async def test_a_5000_char_text_arrives_as_two_messages_with_buttons_on_the_last(
    fake: FakeTelegramApi, sender: TelegramSender
) -> None:
    paragraphs = [f"Débito {n}:" + " detalhe" * 120 for n in range(1, 6)]
    text = "\n\n".join(paragraphs)
    assert 4096 < len(text) <= 5000

    last_id = await sender.send(str(CHAT), OutboundMessage(text=text, buttons=CHOICES[:2]))

    first, second = fake.calls_to("sendMessage", chat_id=CHAT)
    assert all(len(c.params["text"]) <= 4096 for c in (first, second))
    assert "reply_markup" not in first.params
    assert second.params["reply_markup"]["inline_keyboard"] == [
        [
            {"text": "PIX", "callback_data": "pay_pix"},
            {"text": "Boleto", "callback_data": "pay_boleto"},
        ]
    ]
    assert f"{first.params['text']}\n\n{second.params['text']}" == text
    # The id of the message carrying the buttons (the fake counts from 1).
    assert last_id == f"{CHAT}:2"


async def test_pix_qr_as_photo_then_code_as_tap_to_copy_monospace(
    fake: FakeTelegramApi, sender: TelegramSender
) -> None:
    code = "00020126580014br.gov.bcb.pix0136key&<x>5204000053039865406123.455802BR6304ABCD"
    png = qr_png(code)

    await sender.send(
        str(CHAT), OutboundMessage(image_png=png, image_caption="Pague com PIX: R$ 123,45")
    )
    await sender.send(str(CHAT), OutboundMessage(text=code, copy_code=True))

    [photo] = fake.calls_to("sendPhoto", chat_id=CHAT)
    assert photo.files["photo"] == png
    assert photo.params["caption"] == "Pague com PIX: R$ 123,45"
    [copy] = fake.calls_to("sendMessage", chat_id=CHAT)
    assert copy.params["parse_mode"] == "HTML"
    assert copy.params["text"] == (
        "<code>00020126580014br.gov.bcb.pix0136key&amp;&lt;x&gt;"
        "5204000053039865406123.455802BR6304ABCD</code>"
    )
    assert fake.sent_to(CHAT) == ["Pague com PIX: R$ 123,45", copy.params["text"]]


async def test_a_caption_too_long_for_a_photo_follows_as_text(
    fake: FakeTelegramApi, sender: TelegramSender
) -> None:
    caption = "Instruções de pagamento. " * 60

    await sender.send(str(CHAT), OutboundMessage(image_png=qr_png("x"), image_caption=caption))

    [photo] = fake.calls_to("sendPhoto", chat_id=CHAT)
    assert "caption" not in photo.params
    assert [c.params["text"] for c in fake.calls_to("sendMessage", chat_id=CHAT)] == [caption]


@pytest.mark.parametrize(
    ("status", "description", "retry_after", "kind"),
    [
        (429, "Too Many Requests: retry after 7", 7, SendErrorKind.RETRY_AFTER),
        (403, "Forbidden: bot was blocked by the user", None, SendErrorKind.UNREACHABLE),
        (
            403,
            "Forbidden: bot can't initiate conversation with a user",
            None,
            SendErrorKind.UNREACHABLE,
        ),
        (400, "Bad Request: chat not found", None, SendErrorKind.UNREACHABLE),
        (400, "Bad Request: message text is empty", None, SendErrorKind.PERMANENT),
        (502, "Bad Gateway", None, SendErrorKind.RETRY),
        (500, "Internal Server Error", None, SendErrorKind.RETRY),
    ],
)
async def test_telegram_refusals_tell_the_outbox_what_to_do(
    fake: FakeTelegramApi,
    sender: TelegramSender,
    status: int,
    description: str,
    retry_after: int | None,
    kind: SendErrorKind,
) -> None:
    fake.fail_next("sendMessage", status, description, retry_after=retry_after)

    with pytest.raises(SendError) as caught:
        await sender.send(str(CHAT), OutboundMessage(text="Lembrete"))

    assert caught.value.kind is kind
    assert caught.value.retry_after == (float(retry_after) if retry_after else None)
    assert caught.value.reason.startswith("telegram: ")
    # Nothing retried behind the outbox's back: exactly one attempt reached Telegram.
    assert len(fake.calls_to("sendMessage")) == 1
    assert await sender.send(str(CHAT), OutboundMessage(text="Lembrete"))


async def test_a_refused_connection_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    bot = bot_for(f"http://127.0.0.1:{closed_port}/bot", "1:x")

    with pytest.raises(SendError) as caught:
        await TelegramSender(bot).send(str(CHAT), OutboundMessage(text="Olá"))
    await bot.shutdown()

    assert caught.value.kind is SendErrorKind.RETRY


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("not-a-chat", OutboundMessage(text="Olá")),
        (str(CHAT), OutboundMessage()),
    ],
)
async def test_unsendable_messages_are_permanent_failures(
    fake: FakeTelegramApi, sender: TelegramSender, address: str, message: OutboundMessage
) -> None:
    with pytest.raises(SendError) as caught:
        await sender.send(address, message)

    assert caught.value.kind is SendErrorKind.PERMANENT
    assert fake.calls_to("sendMessage") == []
