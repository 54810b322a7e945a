"""The webhook over real HTTP on loopback: Meta's handshake, signatures, and hand-over order."""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.base import ChannelName, ConversationKey, Inbound, SendErrorKind
from bot.channels.whatsapp import WhatsAppWebhook, whatsapp_routes
from dialogs.flow.events import ButtonPressed, MediaReceived, OptOutSignal, TextReceived
from tests.fakes.graph_api import (
    APP_SECRET,
    OUR_WAMID,
    SAMPLES,
    SENDER,
    VERIFY_TOKEN,
    encode,
    sender_numbers,
    sign,
    signed_headers,
    text_messages_body,
)

URL = "/whatsapp/webhook"


@dataclass
class RecordingSinks:
    """Stands in for ConversationService: records what the webhook hands over."""

    inbounds: list[Inbound] = field(default_factory=list)
    statuses: list[tuple[ChannelName, str, str, datetime]] = field(default_factory=list)
    kinds: list[SendErrorKind | None] = field(default_factory=list)
    before_accept: Callable[[Inbound], Awaitable[None]] | None = None

    async def accept(self, inbound: Inbound) -> None:
        if self.before_accept is not None:
            await self.before_accept(inbound)
        self.inbounds.append(inbound)

    async def delivery_status(
        self,
        channel: ChannelName,
        channel_message_id: str,
        status: str,
        at: datetime,
        error: str | None = None,
        kind: SendErrorKind | None = None,
    ) -> None:
        self.statuses.append((channel, channel_message_id, status, at))
        self.kinds.append(kind)


@dataclass
class Webhook:
    sinks: RecordingSinks
    http: aiohttp.ClientSession
    base: str

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> int:
        sent = signed_headers(body) if headers is None else headers
        async with self.http.post(self.base + URL, data=body, headers=sent) as response:
            return response.status

    async def post_sample(self, name: str) -> int:
        return await self.post(encode(SAMPLES[name]))


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    sinks = RecordingSinks()
    handler = WhatsAppWebhook(
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        sink=sinks,
        status_sink=sinks,
        max_body_bytes=64 * 1024,
    )
    app = web.Application()
    app.add_routes(whatsapp_routes(handler))
    async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as http:
        yield Webhook(sinks, http, str(server.make_url("")).rstrip("/"))


async def test_verification_echoes_the_challenge_for_the_right_token(webhook: Webhook) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    async with webhook.http.get(webhook.base + URL, params=query) as response:
        assert response.status == 200
        assert await response.text() == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
async def test_verification_refuses_anything_else(webhook: Webhook, query: dict[str, str]) -> None:
    async with webhook.http.get(webhook.base + URL, params=query) as response:
        assert response.status == 403
        assert "1" not in await response.text()


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"X-Hub-Signature-256": sign("another-secret", encode(SAMPLES["text_message"]))},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": sign(APP_SECRET, encode(SAMPLES["text_message"]))[7:]},
        {"X-Hub-Signature-256": "sha1=" + "0" * 40},
    ],
    ids=["unsigned", "other-secret", "zeros", "no-prefix", "sha1"],
)
async def test_unauthenticated_posts_are_refused_and_nothing_is_recorded(
    webhook: Webhook, headers: dict[str, str]
) -> None:
    status = await webhook.post(encode(SAMPLES["text_message"]), headers=headers)

    assert status == 401
    assert webhook.sinks.inbounds == []


async def test_a_body_changed_after_signing_is_refused(webhook: Webhook) -> None:
    original = encode(SAMPLES["text_message"])
    tampered = original.replace(b"oi, recebi", b"oi, paguei")
    headers = signed_headers(original)

    assert await webhook.post(tampered, headers=headers) == 401
    assert webhook.sinks.inbounds == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"\xff\xfe", b"[]", json.dumps({"object": "page"}).encode(), b"null"],
)
async def test_signed_but_malformed_posts_are_refused_and_nothing_is_recorded(
    webhook: Webhook, body: bytes
) -> None:
    assert await webhook.post(body) == 400
    assert webhook.sinks.inbounds == []
    assert webhook.sinks.statuses == []


async def test_oversized_bodies_are_refused_before_anything_is_read(webhook: Webhook) -> None:
    body = b" " * (64 * 1024 + 1)

    assert await webhook.post(body) == 413
    assert webhook.sinks.inbounds == []


@pytest.mark.parametrize(
    ("sample", "event"),
    [
        ("text_message", TextReceived("oi, recebi uma mensagem de voces")),
        ("button_reply", ButtonPressed("plan:6")),
        ("list_reply", ButtonPressed("channel:pix")),
        ("template_quick_reply", ButtonPressed("start_negotiation")),
        ("unsupported_sticker", MediaReceived("sticker")),
        ("marketing_stop", OptOutSignal(True)),
        ("marketing_resume", OptOutSignal(False)),
    ],
)
async def test_each_sample_reaches_the_sink_as_its_event(
    webhook: Webhook, sample: str, event: object
) -> None:
    assert await webhook.post_sample(sample) == 200

    (inbound,) = webhook.sinks.inbounds
    assert inbound.event == event
    assert inbound.key == ConversationKey(ChannelName.WHATSAPP, SENDER)


@pytest.mark.parametrize(
    ("sample", "status", "kind"),
    [
        ("status_sent", "sent", None),
        ("status_read_pmp", "read", None),
        ("status_failed", "failed", SendErrorKind.OUTSIDE_WINDOW),  # 131047, after sending
    ],
)
async def test_each_status_sample_reaches_the_status_sink(
    webhook: Webhook, sample: str, status: str, kind: SendErrorKind | None
) -> None:
    assert await webhook.post_sample(sample) == 200

    assert [(c, m, s) for c, m, s, _ in webhook.sinks.statuses] == [
        (ChannelName.WHATSAPP, OUR_WAMID, status)
    ]
    assert webhook.sinks.kinds == [kind]
    assert webhook.sinks.inbounds == []


async def test_a_redelivered_message_reaches_the_sink_with_the_same_id(webhook: Webhook) -> None:
    assert await webhook.post_sample("text_message") == 200
    assert await webhook.post_sample("text_message") == 200

    first, again = webhook.sinks.inbounds
    assert first.message_id is not None
    assert first.message_id == again.message_id


async def test_200_comes_only_after_the_sink_finished_accepting(webhook: Webhook) -> None:
    async def slow_accept(inbound: Inbound) -> None:
        for _ in range(20):
            await asyncio.sleep(0)  # yield to the loop, as a database write would

    webhook.sinks.before_accept = slow_accept

    assert await webhook.post_sample("text_message") == 200
    assert len(webhook.sinks.inbounds) == 1


async def test_a_sink_failure_is_not_acknowledged_so_meta_redelivers(webhook: Webhook) -> None:
    async def failing_accept(inbound: Inbound) -> None:
        raise RuntimeError("database unavailable")

    webhook.sinks.before_accept = failing_accept

    assert await webhook.post_sample("text_message") == 500
    assert webhook.sinks.inbounds == []


async def test_oversized_chunked_bodies_are_refused_too(webhook: Webhook) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 4096

    async with webhook.http.post(webhook.base + URL, data=chunks()) as response:
        assert response.status == 413
    assert webhook.sinks.inbounds == []


async def test_fifty_senders_in_one_body_are_all_handed_over_in_order(webhook: Webhook) -> None:
    async def uneven_accept(inbound: Inbound) -> None:
        for _ in range(zlib.crc32((inbound.message_id or "").encode()) % 7):
            await asyncio.sleep(0)  # senders finish at different paces

    webhook.sinks.before_accept = uneven_accept
    senders = sender_numbers(50)
    body = text_messages_body(senders, per_sender=3, first_timestamp=1764072000)

    assert await webhook.post(body) == 200

    inbounds = webhook.sinks.inbounds
    assert len(inbounds) == 150
    assert {i.key.address for i in inbounds} == set(senders)
    for s, wa_id in enumerate(senders):
        texts = [i.event for i in inbounds if i.key.address == wa_id]
        assert texts == [TextReceived(f"{s}:{n}") for n in range(3)]
