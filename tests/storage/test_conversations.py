"""Conversation rows: one per chat, optimistic versions, aware UTC times."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from storage.database import Database
from storage.repositories.conversations import StaleConversationError
from storage.rows import NewInbound
from storage.types import NaiveDatetimeError, dump_json
from tests.storage.helpers import NOW, new_conversation


async def test_creating_the_same_chat_twice_returns_the_same_row(db: Database) -> None:
    first = await new_conversation(db, "42")
    second = await new_conversation(db, "42")
    assert second.id == first.id
    async with db.transaction() as tx:
        found = await tx.conversations.get_for_update("telegram", "42")
    assert found == first
    assert found.state == "start"
    assert found.mode == "bot"
    assert found.version == 0


async def test_concurrent_creators_of_one_chat_get_one_row(db: Database) -> None:
    async def create() -> int:
        async with db.transaction() as tx:
            await tx.conversations.lock_key("whatsapp", "5511987654321")
            row = await tx.conversations.create("whatsapp", "5511987654321", state="start")
            return row.id

    ids = await asyncio.gather(*(create() for _ in range(5)))
    assert len(set(ids)) == 1


async def test_save_bumps_the_version_and_refuses_a_stale_row(db: Database) -> None:
    row = await new_conversation(db)
    changed = dataclasses.replace(
        row,
        state="verify",
        context_json=dump_json({"attempts": 1, "name": "Ana"}),
        last_inbound_at=NOW,
    )
    async with db.transaction() as tx:
        saved = await tx.conversations.save(changed, now=NOW)
    assert saved.version == 1
    assert saved.context == {"attempts": 1, "name": "Ana"}
    async with db.transaction() as tx:
        with pytest.raises(StaleConversationError):
            await tx.conversations.save(changed, now=NOW)
        assert (await tx.conversations.get(row.id)) == saved


async def test_saving_against_the_loaded_row_writes_the_step_and_any_link_change(
    db: Database,
) -> None:
    loaded = await new_conversation(db)
    step = dataclasses.replace(loaded, state="verify", context_json='{"step": 1}')
    async with db.transaction() as tx:
        after_step = await tx.conversations.save(step, now=NOW, loaded=loaded)
        handed_over = dataclasses.replace(after_step, state="agent_chat", mode="agent")
        after_handover = await tx.conversations.save(handed_over, now=NOW, loaded=after_step)

    async with db.transaction(write=False) as tx:
        stored = await tx.conversations.get(loaded.id)
    assert stored is not None
    assert (stored.state, stored.context, stored.mode, stored.version) == (
        "agent_chat",
        {"step": 1},
        "agent",
        2,
    )
    assert stored == after_handover


async def test_datetimes_come_back_aware_in_utc(db: Database) -> None:
    row = await new_conversation(db)
    sao_paulo = timezone(timedelta(hours=-3))
    local = datetime(2026, 3, 10, 9, 30, 15, 123456, tzinfo=sao_paulo)
    async with db.transaction() as tx:
        await tx.conversations.save(dataclasses.replace(row, last_inbound_at=local), now=NOW)
    async with db.transaction(write=False) as tx:
        loaded = await tx.conversations.get(row.id)
    assert loaded is not None
    assert loaded.last_inbound_at is not None
    assert loaded.last_inbound_at == local
    assert loaded.last_inbound_at.tzinfo == UTC
    assert loaded.last_inbound_at.hour == 12
    assert loaded.created_at == NOW
    assert loaded.created_at.tzinfo == UTC


async def test_naive_datetimes_are_refused(db: Database) -> None:
    row = await new_conversation(db)
    naive = dataclasses.replace(row, last_inbound_at=datetime(2026, 3, 10, 12, 0))
    with pytest.raises(StatementError, match="timezone-aware") as raised:
        async with db.transaction() as tx:
            await tx.conversations.save(naive)
    assert isinstance(raised.value.orig, NaiveDatetimeError)


async def test_list_by_mode_finds_queued_chats(db: Database) -> None:
    bot = await new_conversation(db, "1")
    queued = await new_conversation(db, "2")
    async with db.transaction() as tx:
        await tx.conversations.save(dataclasses.replace(queued, mode="queued"))
    async with db.transaction(write=False) as tx:
        assert [c.id for c in await tx.conversations.list_by_mode("queued")] == [queued.id]
        assert [c.id for c in await tx.conversations.list_by_mode("bot")] == [bot.id]


async def test_a_failed_transaction_leaves_nothing_behind(db: Database) -> None:
    async def create_then_fail() -> None:
        async with db.transaction() as tx:
            await tx.conversations.create("webchat", "s-1", state="start")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await create_then_fail()
    async with db.transaction(write=False) as tx:
        assert await tx.conversations.get_for_update("webchat", "s-1") is None


async def test_lock_recording_stores_a_new_message_once_and_only_in_an_existing_chat(
    db: Database,
) -> None:
    hello = NewInbound("m-1", "oi", "debtor", NOW)
    async with db.transaction() as tx:
        assert await tx.conversations.lock_recording("telegram", "7", hello) == (None, False)
    chat = await new_conversation(db, "7")
    async with db.transaction() as tx:
        found, new = await tx.conversations.lock_recording("telegram", "7", hello)
    assert (found, new) == (chat, True)
    async with db.transaction() as tx:
        again = await tx.conversations.lock_recording("telegram", "7", hello)
        without_id = NewInbound(None, "tudo bem?", "debtor", NOW + timedelta(seconds=1))
        assert await tx.conversations.lock_recording("telegram", "7", without_id) == (chat, True)
    assert again == (chat, False)
    async with db.transaction(write=False) as tx:
        transcript = await tx.messages.transcript(chat.id)
    assert [(m.text, m.channel_message_id, m.direction) for m in transcript] == [
        ("oi", "m-1", "in"),
        ("tudo bem?", None, "in"),
    ]
    assert transcript[0].created_at == NOW
