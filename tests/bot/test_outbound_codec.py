"""The stored form of a reply: what old rows hold is what new rows hold, and it reads back
as the message that was written."""

from __future__ import annotations

import json

import pytest

from bot.channels.base import Button, OutboundMessage, Template
from bot.outbound_codec import dump, load

# What the outbox rows have always held: compact JSON with non-ASCII text as is.
_STORED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _every_character() -> list[str]:
    """Every code point but the surrogates, in strings of 512."""
    chars = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    return ["".join(chars[start : start + 512]) for start in range(0, len(chars), 512)]


def test_every_character_is_stored_as_before() -> None:
    for text in _every_character():
        message = OutboundMessage(text=text, buttons=(Button(id=text[:8], title=text),))
        assert dump(message) == _STORED.encode(
            {"text": text, "buttons": [{"id": text[:8], "title": text}]}
        )


def test_a_whole_message_is_stored_as_before_and_reads_back() -> None:
    message = OutboundMessage(
        text='Olá, Sr. "João" \\ R$ 1.234,56\n\t✓ 😀',
        buttons=(Button(id="plan:6", title="6x de R$ 418,80", description="até 05/12"),),
        qr_payload="00020126580014BR.GOV.BCB.PIX",
        image_caption="Pague com PIX",
        copy_code=True,
        template=Template(name="quita_lembrete", language="pt_BR", body_params=("Ana", "R$ 5")),
        proactive=True,
        extra={"chave": "ção"},
    )
    stored = dump(message)
    assert stored == _STORED.encode(json.loads(stored))
    assert load(stored) == message


def test_a_lone_surrogate_is_stored_as_the_json_module_writes_it() -> None:
    message = OutboundMessage(text="broken \ud83d emoji")
    assert dump(message) == '{"text":"broken \ud83d emoji"}'


def test_a_lone_surrogate_reads_back() -> None:
    message = OutboundMessage(text="broken \ud83d emoji", qr_payload="\udc00", image_caption="QR")
    assert load(dump(message)) == message  # as `dump` writes it: the character itself
    escaped = '{"text":"broken \\ud83d emoji"}'  # as the json module writes it by default
    assert load(escaped) == OutboundMessage(text="broken \ud83d emoji")


def test_keys_it_does_not_know_are_ignored() -> None:
    assert load('{"text":"oi","since":"v9"}') == OutboundMessage(text="oi")
    assert load('{"qr_payload":"000201","image_caption":"PIX","since":"v9"}') == (
        OutboundMessage(qr_payload="000201", image_caption="PIX")
    )


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


def test_a_repeated_reply_is_read_once_and_shared() -> None:
    stored = dump(OutboundMessage(text="Pode me dizer o seu CPF?", buttons=(Button("a", "A"),)))
    first = load(stored)
    assert load(stored) is first
    read_again = "".join(list(stored))  # an equal text in another object, as a row's is
    assert read_again is not stored
    assert load(read_again) is first


def test_a_reply_with_extra_fields_is_never_shared() -> None:
    stored = dump(OutboundMessage(text="oi", extra={"k": "v"}))
    first = load(stored)
    again = load(stored)
    assert again == first
    assert again is not first
    assert again.extra is not first.extra


def test_a_long_reply_is_read_each_time() -> None:
    image = OutboundMessage(image_png=bytes(range(256)) * 8, image_caption="QR")
    assert load(dump(image)) == image
    assert load(dump(image)) is not load(dump(image))
