"""Replies: each stored in the transcript and queued for delivery in the same transaction."""

from __future__ import annotations

import pytest

from storage.database import Database
from storage.rows import NewReply
from tests.storage.helpers import NOW, new_conversation


async def test_replies_are_stored_in_order_and_only_the_allowed_ones_queued(db: Database) -> None:
    chat = await new_conversation(db)
    replies = [
        NewReply("Olá, Maria!", '{"text": "Olá, Maria!"}', "bot"),
        NewReply("Lembrete", '{"text": "Lembrete"}', "bot", refused="frequency cap"),
        NewReply("Seu saldo", '{"text": "Seu saldo"}', "agent"),
    ]
    async with db.transaction() as tx:
        queued = await tx.replies.add(chat.id, chat.channel, chat.address, replies, now=NOW)
        queued_again = await tx.replies.add(chat.id, chat.channel, chat.address, [], now=NOW)

    assert (queued, queued_again) == (2, 0)
    async with db.transaction() as tx:
        transcript = await tx.messages.transcript(chat.id)
        deliveries = await tx.outbox.claim(10, 60, NOW, per_chat=10)
    assert [(m.text, m.author, m.delivery_status) for m in transcript] == [
        ("Olá, Maria!", "bot", "pending"),
        ("Lembrete", "bot", "failed"),
        ("Seu saldo", "agent", "pending"),
    ]
    assert transcript[1].delivery_error == "frequency cap"
    assert transcript[0].payload == {"text": "Olá, Maria!"}
    first, _, third = transcript
    assert [(d.message_id, d.idempotency_key, d.payload, d.address) for d in deliveries] == [
        (first.id, f"msg:{first.id}", '{"text": "Olá, Maria!"}', chat.address),
        (third.id, f"msg:{third.id}", '{"text": "Seu saldo"}', chat.address),
    ]


async def test_replies_of_a_failed_event_are_neither_stored_nor_queued(db: Database) -> None:
    chat = await new_conversation(db)

    async def answer_then_fail() -> None:
        async with db.transaction() as tx:
            reply = NewReply("Oi", '{"text": "Oi"}', "bot")
            await tx.replies.add(chat.id, chat.channel, chat.address, [reply], now=NOW)
            raise RuntimeError("the step failed after answering")

    with pytest.raises(RuntimeError, match="after answering"):
        await answer_then_fail()
    async with db.transaction() as tx:
        assert await tx.messages.transcript(chat.id) == []
        assert await tx.outbox.claim(10, 60, NOW) == []
