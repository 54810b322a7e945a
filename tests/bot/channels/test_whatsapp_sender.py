"""The sender against a loopback Graph API that refuses what Meta refuses."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import segno

from bot.channels.base import (
    Button,
    ChannelName,
    OutboundMessage,
    SendError,
    SendErrorKind,
    Template,
)
from bot.channels.whatsapp import LIST_BUTTON_LABEL_KEY, WhatsAppSender
from tests.fakes.graph_api import ACCESS_TOKEN, PHONE_NUMBER_ID, SENDER, FakeGraphApi

PIX_CODE = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
    "5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)


@dataclass
class Rig:
    graph: FakeGraphApi
    sender: WhatsAppSender


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with FakeGraphApi() as graph, aiohttp.ClientSession() as session:
        sender = WhatsAppSender(session, graph.base_url, PHONE_NUMBER_ID, ACCESS_TOKEN)
        yield Rig(graph, sender)


def choices(*titles: str) -> tuple[Button, ...]:
    return tuple(Button(id=f"choice:{n}", title=title) for n, title in enumerate(titles))


async def test_text_goes_out_as_a_text_message_and_returns_its_wamid(rig: Rig) -> None:
    wamid = await rig.sender.send(SENDER, OutboundMessage(text="Olá, Maria!"))

    (payload,) = rig.graph.sent
    assert payload["type"] == "text"
    assert payload["to"] == SENDER
    assert payload["text"]["body"] == "Olá, Maria!"
    assert wamid == rig.graph.calls[-1].wamid
    assert rig.sender.channel is ChannelName.WHATSAPP


async def test_text_longer_than_whatsapp_allows_is_split_at_paragraphs(rig: Rig) -> None:
    paragraphs = [f"Parágrafo {n}. " + "palavra " * 300 for n in range(4)]
    text = "\n\n".join(p.strip() for p in paragraphs)

    wamid = await rig.sender.send(SENDER, OutboundMessage(text=text))

    bodies = [p["text"]["body"] for p in rig.graph.sent]
    assert len(bodies) > 1
    assert all(len(b) <= 4096 for b in bodies)
    assert " ".join(" ".join(bodies).split()) == " ".join(text.split())
    assert bodies[1].startswith("Parágrafo")
    assert wamid == rig.graph.calls[-1].wamid


async def test_three_choices_become_reply_buttons(rig: Rig) -> None:
    message = OutboundMessage(
        text="Como prefere pagar?", buttons=choices("PIX", "Boleto", "Cartão")
    )

    await rig.sender.send(SENDER, message)

    (payload,) = rig.graph.sent
    assert payload["interactive"]["type"] == "button"
    assert payload["interactive"]["body"]["text"] == "Como prefere pagar?"
    assert [b["reply"] for b in payload["interactive"]["action"]["buttons"]] == [
        {"id": "choice:0", "title": "PIX"},
        {"id": "choice:1", "title": "Boleto"},
        {"id": "choice:2", "title": "Cartão"},
    ]


async def test_five_choices_become_a_list_opened_by_the_localised_label(rig: Rig) -> None:
    buttons = (
        *choices("2x de R$ 1.256,40", "3x de R$ 837,60", "6x de R$ 418,80", "12x de R$ 209,40"),
        Button(id="plan:other", title="Outro valor", description="Diga quanto consegue pagar"),
    )
    message = OutboundMessage(
        text="Estas são as opções para você:",
        buttons=buttons,
        extra={LIST_BUTTON_LABEL_KEY: "Ver parcelas"},
    )

    await rig.sender.send(SENDER, message)

    (payload,) = rig.graph.sent
    interactive = payload["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == "Ver parcelas"
    (section,) = interactive["action"]["sections"]
    assert [row["id"] for row in section["rows"]] == [b.id for b in buttons]
    assert section["rows"][-1]["description"] == "Diga quanto consegue pagar"


async def test_long_titles_are_shortened_within_limits_with_an_ellipsis(rig: Rig) -> None:
    long_title = "Parcelar em doze vezes sem juros no cartão"
    await rig.sender.send(SENDER, OutboundMessage(text="Escolha:", buttons=choices(long_title)))
    many = (*choices(*[f"{long_title} {n}" for n in range(4)]),)
    many += (Button(id="x", title="Outro", description="Texto explicativo " * 10),)
    await rig.sender.send(SENDER, OutboundMessage(text="Escolha:", buttons=many))

    buttons_payload, list_payload = rig.graph.sent
    (button,) = buttons_payload["interactive"]["action"]["buttons"]
    assert len(button["reply"]["title"]) <= 20
    assert button["reply"]["title"] == "Parcelar em doze…"
    rows = list_payload["interactive"]["action"]["sections"][0]["rows"]
    assert all(len(row["title"]) <= 24 and row["title"].endswith("…") for row in rows[:4])
    assert len(rows[-1]["description"]) <= 72
    assert rows[-1]["description"].endswith("…")


async def test_more_than_ten_choices_send_the_first_ten(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    buttons = choices(*[f"Opção {n}" for n in range(12)])

    await rig.sender.send(SENDER, OutboundMessage(text="Escolha:", buttons=buttons))

    (payload,) = rig.graph.sent
    rows = payload["interactive"]["action"]["sections"][0]["rows"]
    assert [row["id"] for row in rows] == [b.id for b in buttons[:10]]
    assert "first 10" in caplog.text
    assert SENDER not in caplog.text


async def test_long_text_with_buttons_keeps_the_buttons_on_the_last_part(rig: Rig) -> None:
    text = "Detalhes do acordo. " * 80  # ~1600 characters, over the 1024 of interactive bodies

    await rig.sender.send(SENDER, OutboundMessage(text=text, buttons=choices("Confirmar")))

    *leading, last = rig.graph.sent
    assert [p["type"] for p in leading] == ["text"]
    assert last["type"] == "interactive"
    assert len(last["interactive"]["body"]["text"]) <= 1024


async def test_pix_qr_is_uploaded_then_sent_by_id_and_the_code_alone_as_text(rig: Rig) -> None:
    buffer = io.BytesIO()
    segno.make(PIX_CODE, error="m").save(buffer, kind="png", scale=4)
    png_bytes = buffer.getvalue()

    await rig.sender.send(
        SENDER, OutboundMessage(image_png=png_bytes, image_caption="PIX da 1ª parcela")
    )
    await rig.sender.send(SENDER, OutboundMessage(text=PIX_CODE, copy_code=True))

    upload, image, code = rig.graph.calls
    assert upload.endpoint == "media"
    assert upload.form == {"messaging_product": "whatsapp", "type": "image/png"}
    assert upload.file_content_type == "image/png"
    assert image.payload["image"] == {"id": upload.media_id, "caption": "PIX da 1ª parcela"}
    assert rig.graph.uploaded(upload.media_id or "") == png_bytes
    assert code.payload["text"]["body"] == PIX_CODE


async def test_template_payload_has_name_language_and_body_parameters(rig: Rig) -> None:
    template = Template(
        name="lembrete_parcela", language="pt_BR", body_params=("Maria", "R$ 279,20", "05/12/2026")
    )

    await rig.sender.send(SENDER, OutboundMessage(template=template))

    (payload,) = rig.graph.sent
    assert payload["type"] == "template"
    assert payload["template"] == {
        "name": "lembrete_parcela",
        "language": {"code": "pt_BR"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Maria"},
                    {"type": "text", "text": "R$ 279,20"},
                    {"type": "text", "text": "05/12/2026"},
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (130429, SendErrorKind.RETRY),
        (131056, SendErrorKind.RETRY),
        (80007, SendErrorKind.RETRY),
        (131047, SendErrorKind.OUTSIDE_WINDOW),
        (131026, SendErrorKind.UNREACHABLE),
        (131050, SendErrorKind.OPTED_OUT),
        (100, SendErrorKind.PERMANENT),
        (190, SendErrorKind.PERMANENT),
    ],
)
async def test_meta_error_codes_decide_what_the_outbox_does(
    rig: Rig, code: int, kind: SendErrorKind
) -> None:
    rig.graph.fail_next(code, http_status=400)

    with pytest.raises(SendError) as caught:
        await rig.sender.send(SENDER, OutboundMessage(text="Olá"))

    assert caught.value.kind is kind
    assert SENDER not in caught.value.reason


async def test_rate_limit_carries_the_retry_after_hint_and_the_retry_delivers(rig: Rig) -> None:
    rig.graph.fail_next(130429, http_status=429, retry_after=2)

    with pytest.raises(SendError) as caught:
        await rig.sender.send(SENDER, OutboundMessage(text="Olá"))
    wamid = await rig.sender.send(SENDER, OutboundMessage(text="Olá"))

    assert caught.value.kind is SendErrorKind.RETRY
    assert caught.value.retry_after == 2.0
    assert len(rig.graph.sent) == 1
    assert wamid == rig.graph.calls[-1].wamid


@pytest.mark.parametrize("http_status", [500, 502, 503])
async def test_server_errors_are_retried(rig: Rig, http_status: int) -> None:
    rig.graph.fail_next(None, http_status=http_status)

    with pytest.raises(SendError) as caught:
        await rig.sender.send(SENDER, OutboundMessage(text="Olá"))

    assert caught.value.kind is SendErrorKind.RETRY


async def test_a_failed_upload_sends_no_image(rig: Rig) -> None:
    rig.graph.fail_next(None, http_status=503)

    with pytest.raises(SendError) as caught:
        await rig.sender.send(SENDER, OutboundMessage(image_png=b"\x89PNG\r\n\x1a\n"))

    assert caught.value.kind is SendErrorKind.RETRY
    assert rig.graph.sent == []


async def test_connection_refused_is_retried() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with aiohttp.ClientSession() as session:
        sender = WhatsAppSender(
            session, f"http://127.0.0.1:{closed_port}", PHONE_NUMBER_ID, ACCESS_TOKEN
        )
        with pytest.raises(SendError) as caught:
            await sender.send(SENDER, OutboundMessage(text="Olá"))

    assert caught.value.kind is SendErrorKind.RETRY


async def test_a_choice_id_too_long_for_whatsapp_is_a_permanent_error(rig: Rig) -> None:
    message = OutboundMessage(text="Escolha:", buttons=(Button(id="x" * 257, title="Sim"),))

    with pytest.raises(SendError) as caught:
        await rig.sender.send(SENDER, message)

    assert caught.value.kind is SendErrorKind.PERMANENT
    assert rig.graph.calls == []


async def test_the_fake_refuses_what_meta_refuses(rig: Rig) -> None:
    """Guards the guard: a payload over the limits is answered with Meta's 400."""
    async with aiohttp.ClientSession() as session:
        url = f"{rig.graph.base_url}/{PHONE_NUMBER_ID}/messages"
        payload = {
            "messaging_product": "whatsapp",
            "to": SENDER,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "Escolha"},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "x" * 21}}]},
            },
        }
        headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
        async with session.post(url, json=payload, headers=headers) as response:
            body = await response.json()

    assert response.status == 400
    assert body["error"]["code"] == 131009
    assert rig.graph.sent == []


async def test_concurrent_sends_to_many_debtors_all_arrive_with_distinct_wamids(rig: Rig) -> None:
    rig.graph.fail_next(131056, times=2)
    addresses = [f"55119{80000000 + n:08d}" for n in range(10)]

    async def send_until_delivered(address: str) -> str:
        while True:
            try:
                return await rig.sender.send(address, OutboundMessage(text="Olá"))
            except SendError as error:
                if error.kind is not SendErrorKind.RETRY:
                    raise

    tasks = [asyncio.create_task(send_until_delivered(a)) for a in addresses]
    await rig.graph.wait_for(lambda: len(rig.graph.sent) == len(addresses))
    wamids = await asyncio.gather(*tasks)

    assert sorted(p["to"] for p in rig.graph.sent) == addresses
    assert len(set(wamids)) == len(addresses)
    assert sum(1 for c in rig.graph.calls if c.status != 200) == 2
