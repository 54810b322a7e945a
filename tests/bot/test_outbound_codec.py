"""A reply's JSON in the outbox reads back as the message that was written."""

from __future__ import annotations

import json

import pytest

from bot.channels.base import Button, OutboundMessage, Template
from bot.outbound_codec import dump, load

MESSAGES = [
    OutboundMessage(text="Olá, Maria! Como prefere pagar?"),
    OutboundMessage(
        text="Escolha uma opção",
        buttons=(Button("6x", "6x de R$ 20,00"), Button("pix", "PIX", description="à vista")),
    ),
    OutboundMessage(qr_payload="00020126…6304ABCD", image_caption="Pague com PIX"),
    OutboundMessage(image_png=b"\x89PNG\r\n", image_caption="QR"),
    OutboundMessage(text="0002012636…", copy_code=True, proactive=True, extra={"k": "v"}),
    OutboundMessage(template=Template("lembrete", "pt_BR", ("Maria", "R$ 10,00"))),
]


@pytest.mark.parametrize("message", MESSAGES)
def test_a_message_reads_back_as_written(message: OutboundMessage) -> None:
    assert load(dump(message)) == message


def test_text_written_another_way_reads_as_json_loads_reads_it() -> None:
    spaced = ' \n{ "text": "oi", "buttons": [ {"id": "a", "title": "A"} ] } \n'
    assert load(spaced) == OutboundMessage(text="oi", buttons=(Button("a", "A"),))


@pytest.mark.parametrize("broken", ['{"text": "oi"} {"text": "tchau"}', '{"text": ', "", "oi"])
def test_text_that_is_not_one_json_object_is_refused_as_json_loads_refuses_it(
    broken: str,
) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(broken)
    with pytest.raises(json.JSONDecodeError) as raised:
        load(broken)
    assert str(raised.value) == str(expected.value)


def test_buttons_read_back_with_their_own_descriptions() -> None:
    plain = OutboundMessage(text="?", buttons=(Button("pix", "PIX"),))
    described = OutboundMessage(text="?", buttons=(Button("pix", "PIX", description="à vista"),))
    assert load(dump(plain)).buttons == (Button("pix", "PIX"),)
    assert load(dump(described)).buttons == (Button("pix", "PIX", description="à vista"),)
    assert load(dump(plain)).buttons == (Button("pix", "PIX"),)


def test_many_different_buttons_all_read_back() -> None:
    for n in range(3000):  # more than are kept for sharing
        message = OutboundMessage(text="?", buttons=(Button(f"opt:{n}", f"{n}x"),))
        assert load(dump(message)) == message
