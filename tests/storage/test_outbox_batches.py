"""Whole rounds are recorded at once: a batch of sent marks (replies: `test_replies.py`)."""

from __future__ import annotations

from storage.database import Database
from storage.rows import NewOutbox
from tests.storage.helpers import NOW, new_conversation


async def test_a_round_marked_sent_at_once_moves_rows_and_their_messages(db: Database) -> None:
    conv = await new_conversation(db)
    async with db.transaction() as tx:
        message_ids = [
            await tx.messages.add_outbound(conv.id, "telegram", text, now=NOW) for text in "ab"
        ]
        await tx.outbox.enqueue(
            [
                NewOutbox(conv.id, "telegram", "1001", '{"text": "a"}', "k-a", message_ids[0]),
                NewOutbox(conv.id, "telegram", "1001", '{"text": "b"}', "k-b", message_ids[1]),
            ],
            now=NOW,
        )
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
