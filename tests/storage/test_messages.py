"""Messages are deduplicated by platform id and their delivery status never goes back."""

from __future__ import annotations

import pytest

from storage.database import Database
from storage.rows import NewOutbox
from tests.storage.helpers import NOW, new_conversation


async def test_a_redelivered_message_is_recognised_as_a_duplicate(db: Database) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        first = await tx.messages.add_inbound(conv.id, "telegram", "777", "oi", now=NOW)
        again = await tx.messages.add_inbound(conv.id, "telegram", "777", "oi", now=NOW)
        other_channel = await tx.messages.add_inbound(conv.id, "whatsapp", "777", "oi", now=NOW)
    assert first is not None
    assert again is None
    assert other_channel is not None
    async with db.transaction(write=False) as tx:
        assert [m.text for m in await tx.messages.transcript(conv.id)] == ["oi", "oi"]


async def test_transcript_keeps_order_and_payloads(db: Database) -> None:
    conv = await new_conversation(db)
    buttons = {"buttons": [{"id": "pix", "title": "PIX"}]}
    async with db.transaction() as tx:
        await tx.messages.add_inbound(conv.id, "telegram", "1", "quero pagar", now=NOW)
        await tx.messages.add_outbound(conv.id, "telegram", "Como prefere?", buttons, now=NOW)
        await tx.messages.add_outbound(conv.id, "telegram", "Estou aqui.", author="agent", now=NOW)
    async with db.transaction(write=False) as tx:
        transcript = await tx.messages.transcript(conv.id)
    assert [(m.direction, m.author, m.text) for m in transcript] == [
        ("in", "debtor", "quero pagar"),
        ("out", "bot", "Como prefere?"),
        ("out", "agent", "Estou aqui."),
    ]
    assert transcript[1].payload == buttons
    assert transcript[1].delivery_status == "pending"


@pytest.mark.parametrize(
    ("arrivals", "final"),
    [
        (["delivered", "read"], "read"),
        (["read", "delivered"], "read"),
        (["read", "sent", "delivered", "failed"], "read"),
        (["failed", "delivered"], "failed"),
        (["delivered", "failed"], "delivered"),
    ],
)
async def test_delivery_status_never_moves_backwards(
    db: Database, arrivals: list[str], final: str
) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        message_id = await tx.messages.add_outbound(conv.id, "whatsapp", "Olá", now=NOW)
        [outbox_id] = await tx.outbox.enqueue(
            [NewOutbox(conv.id, "whatsapp", conv.address, "{}", "k1", message_id=message_id)]
        )
        await tx.outbox.mark_sent(outbox_id, "wamid.ABC", NOW)
    for status in arrivals:
        async with db.transaction() as tx:
            await tx.messages.set_delivery("whatsapp", "wamid.ABC", status)
    async with db.transaction(write=False) as tx:
        message = await tx.messages.get(message_id)
    assert message is not None
    assert message.channel_message_id == "wamid.ABC"
    assert message.delivery_status == final


async def test_status_for_an_unknown_message_changes_nothing(db: Database) -> None:
    async with db.transaction() as tx:
        assert await tx.messages.set_delivery("whatsapp", "wamid.NOPE", "read") is False
