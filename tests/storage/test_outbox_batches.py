"""Whole rounds are recorded at once: a batch of sent marks (replies: `test_replies.py`)."""

from __future__ import annotations

from storage.database import Database, UnitOfWork
from storage.rows import NewOutbox
from tests.storage.helpers import NOW, new_conversation


async def _queue(tx: UnitOfWork, conversation_id: int, texts: str) -> list[int]:
    """One stored reply per character of `texts`, each queued; their message ids."""
    message_ids = [
        await tx.messages.add_outbound(conversation_id, "telegram", text, now=NOW) for text in texts
    ]
    await tx.outbox.enqueue(
        [
            NewOutbox(conversation_id, "telegram", "1001", f'{{"text": "{t}"}}', f"k-{t}", m)
            for t, m in zip(texts, message_ids, strict=True)
        ],
        now=NOW,
    )
    return message_ids


async def test_a_round_marked_sent_at_once_moves_rows_and_their_messages(db: Database) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        message_ids = await _queue(tx, conv.id, "ab")
        first = (await tx.outbox.claim(10, 30, NOW))[0]
        await tx.outbox.mark_sent_many([(first, "1001:7")], NOW)
        second = (await tx.outbox.claim(10, 30, NOW))[0]
        await tx.outbox.mark_sent_many([(second, "1001:8")], NOW)
        rows = [await tx.outbox.get(r.id) for r in (first, second)]
        messages = [await tx.messages.get(message_id) for message_id in message_ids]
        assert await tx.outbox.pending_count() == 0
    assert [r.status for r in rows if r] == ["sent", "sent"]
    assert [(m.channel_message_id, m.delivery_status) for m in messages if m] == [
        ("1001:7", "sent"),
        ("1001:8", "sent"),
    ]


async def test_a_round_of_several_rows_is_marked_in_one_call(db: Database) -> None:
    """Including a delivery whose platform id is not kept (sent all the same)."""
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        message_ids = await _queue(tx, conv.id, "abc")
        claimed = await tx.outbox.claim(10, 30, NOW, per_chat=10)
        assert len(claimed) == 3
        sent = list(zip(claimed, ["1001:1", None, "1001:3"], strict=True))
        await tx.outbox.mark_sent_many(sent, NOW)
        rows = [await tx.outbox.get(r.id) for r in claimed]
        messages = [await tx.messages.get(message_id) for message_id in message_ids]
        assert await tx.outbox.pending_count() == 0
    assert [(r.status, r.channel_message_id, r.sent_at) for r in rows if r] == [
        ("sent", "1001:1", NOW),
        ("sent", None, NOW),
        ("sent", "1001:3", NOW),
    ]
    assert [(m.channel_message_id, m.delivery_status) for m in messages if m] == [
        ("1001:1", "sent"),
        (None, "sent"),
        ("1001:3", "sent"),
    ]
