"""Replies: each stored in the transcript and queued for delivery in the same transaction."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import text

from storage.database import Database
from storage.repositories.conversations import StaleConversationError
from storage.repositories.replies import MESSAGE_ID_SEQUENCE, OUTBOX_ID_SEQUENCE
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


async def test_many_replies_keep_their_order_and_each_delivery_its_own_message(
    db: Database,
) -> None:
    """More replies than one statement takes (a long transcript sent back, say)."""
    chat = await new_conversation(db)
    texts = [f"Parte {n}" for n in range(19)]
    replies = [NewReply(text, f'{{"text": "{text}"}}', "bot") for text in texts]
    async with db.transaction() as tx:
        await tx.replies.add(chat.id, chat.channel, chat.address, replies, now=NOW)
    async with db.transaction() as tx:
        transcript = await tx.messages.transcript(chat.id)
        deliveries = await tx.outbox.claim(50, 60, NOW, per_chat=50)
    assert [m.text for m in transcript] == texts
    by_message = {m.id: m.text for m in transcript}
    assert [by_message[d.message_id] for d in deliveries] == texts
    assert [d.payload for d in deliveries] == [r.payload for r in replies]


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


async def test_a_save_with_replies_stores_both_and_a_stale_save_stores_neither(
    db: Database,
) -> None:
    chat = await new_conversation(db)
    replies = [
        NewReply("Olá!", '{"text": "Olá!"}', "bot"),
        NewReply("Escolha uma opção", '{"text": "Escolha uma opção"}', "bot"),
    ]
    step = dataclasses.replace(chat, state="greeted")
    async with db.transaction() as tx:
        saved = await tx.conversations.save(step, now=NOW, loaded=chat, replies=replies)
    assert (saved.state, saved.version) == ("greeted", chat.version + 1)

    async def save_stale() -> None:
        async with db.transaction() as tx:
            late = NewReply("Atrasada", '{"text": "Atrasada"}', "bot")
            await tx.conversations.save(step, now=NOW, loaded=chat, replies=[late])

    with pytest.raises(StaleConversationError):
        await save_stale()
    async with db.transaction() as tx:
        transcript = await tx.messages.transcript(chat.id)
        deliveries = await tx.outbox.claim(10, 60, NOW, per_chat=10)
        found = await tx.conversations.get(chat.id)
    assert [m.text for m in transcript] == ["Olá!", "Escolha uma opção"]
    assert [d.message_id for d in deliveries] == [m.id for m in transcript]
    assert found is not None
    assert (found.state, found.version) == ("greeted", chat.version + 1)


async def test_the_named_id_sequences_are_the_ones_the_schema_owns(postgres_db: Database) -> None:
    """The one-statement save draws ids from sequences it names; a migration that renamed
    them would break every save, so this says which name changed."""
    query = text(
        "SELECT pg_get_serial_sequence('message', 'id'), pg_get_serial_sequence('outbox', 'id')"
    )
    async with postgres_db.transaction(write=False) as tx:
        owned = (await tx.connection.execute(query)).one()
    assert tuple(owned) == (f"public.{MESSAGE_ID_SEQUENCE}", f"public.{OUTBOX_ID_SEQUENCE}")
