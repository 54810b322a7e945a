"""Conversation rows: one per chat, optimistic versions, aware UTC times."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from storage.database import Database
from storage.repositories.conversations import StaleConversationError
from storage.repositories.debtors import NewDebt
from storage.rows import ContactVerified, ConversationRow, LockedChat, NewInbound, NewReply
from storage.types import NaiveDatetimeError, dump_json
from tests.storage.helpers import NOW, new_conversation, new_debt, new_debtor
from tests.waiting import eventually


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


async def test_the_row_a_save_returns_is_the_stored_row_even_for_a_local_now(
    db: Database,
) -> None:
    """`save` does not read the row back: what it returns must still be what a read finds."""
    row = await new_conversation(db)
    local_now = (NOW + timedelta(minutes=5)).astimezone(timezone(timedelta(hours=-3)))
    async with db.transaction() as tx:
        saved = await tx.conversations.save(dataclasses.replace(row, state="verify"), now=local_now)
    async with db.transaction(write=False) as tx:
        stored = await tx.conversations.get(row.id)
    assert stored == saved
    assert (saved.version, saved.updated_at) == (1, local_now)
    assert saved.updated_at.tzinfo == UTC


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
        assert await tx.conversations.lock_recording("telegram", "7", hello) is None
    chat = await new_conversation(db, "7")
    async with db.transaction() as tx:
        first = await tx.conversations.lock_recording("telegram", "7", hello)
    assert first == LockedChat(chat, new=True, snapshot=None)  # no debtor linked yet
    async with db.transaction() as tx:
        again = await tx.conversations.lock_recording("telegram", "7", hello)
        without_id = NewInbound(None, "tudo bem?", "debtor", NOW + timedelta(seconds=1))
        assert await tx.conversations.lock_recording("telegram", "7", without_id) == first
    assert again == LockedChat(chat, new=False, snapshot=None)
    async with db.transaction(write=False) as tx:
        transcript = await tx.messages.transcript(chat.id)
    assert [(m.text, m.channel_message_id, m.direction) for m in transcript] == [
        ("oi", "m-1", "in"),
        ("tudo bem?", None, "in"),
    ]
    assert transcript[0].created_at == NOW


async def _linked_chat(db: Database, address: str) -> tuple[ConversationRow, int]:
    """A chat linked to a debtor who owes one debt of R$ 1.234,56; (chat, debt id)."""
    debtor_id = await new_debtor(db)
    debt_id = await new_debt(db, debtor_id)
    async with db.transaction() as tx:
        chat = await tx.conversations.create(
            "telegram", address, state="start", debtor_id=debtor_id, now=NOW
        )
    return chat, debt_id


async def test_lock_recording_reads_the_linked_debtors_snapshot_for_a_new_message(
    db: Database,
) -> None:
    chat, debt_id = await _linked_chat(db, "8")
    hello = NewInbound("m-8", "oi", "debtor", NOW)
    async with db.transaction() as tx:
        locked = await tx.conversations.lock_recording("telegram", "8", hello)
    assert locked is not None
    assert locked.snapshot is not None
    assert locked.snapshot.debtor_id == chat.debtor_id
    assert locked.snapshot.name == "MARIA DA SILVA"
    assert [(d.debt_id, d.principal_cents) for d in locked.snapshot.debts] == [(debt_id, 123456)]
    async with db.transaction() as tx:
        duplicate = await tx.conversations.lock_recording("telegram", "8", hello)
    assert duplicate == LockedChat(chat, new=False, snapshot=None)  # nothing to answer


async def _lock_waiters(db: Database) -> int:
    """PostgreSQL backends of this database waiting for a lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with db.transaction(write=False) as tx:
        return int((await tx.connection.execute(query)).scalar_one())


async def test_a_lock_that_waited_reads_what_the_writer_before_it_committed(
    db: Database,
) -> None:
    """The snapshot read with the lock must not predate the last writer of the chat."""
    chat, debt_id = await _linked_chat(db, "9")
    written = asyncio.Event()

    async def _lock_waiter_queued() -> bool:
        # SQLite: the waiter queues on the process's writer lock, where nothing shows it.
        return db.dialect != "postgresql" or await _lock_waiters(db) > 0

    async def writer() -> None:
        async with db.transaction() as tx:
            await tx.conversations.get_for_update("telegram", "9")
            await tx.debtors.upsert_debt(
                NewDebt(chat.debtor_id or 0, "C-1", "Cartão", 99900, date(2026, 1, 5)), now=NOW
            )
            await tx.conversations.touch(chat.id)
            written.set()
            await eventually(_lock_waiter_queued)

    async def waiter() -> LockedChat | None:
        await written.wait()
        async with db.transaction() as tx:
            message = NewInbound("m-9", "oi", "debtor", NOW)
            return await tx.conversations.lock_recording("telegram", "9", message)

    _, locked = await asyncio.gather(writer(), waiter())
    assert locked is not None
    assert locked.snapshot is not None
    assert locked.row.version == chat.version + 1
    assert [(d.debt_id, d.principal_cents) for d in locked.snapshot.debts] == [(debt_id, 99900)]


async def test_touch_moves_only_the_version_on(db: Database) -> None:
    chat = await new_conversation(db, "10")
    async with db.transaction() as tx:
        await tx.conversations.touch(chat.id)
        assert await tx.conversations.get(chat.id) == dataclasses.replace(chat, version=1)


async def test_read_unlocked_finds_the_chat_its_snapshot_and_whether_the_message_is_new(
    db: Database,
) -> None:
    chat, debt_id = await _linked_chat(db, "11")
    hello = NewInbound("m-11", "oi", "debtor", NOW)
    async with db.transaction() as tx:
        assert await tx.conversations.read_unlocked("telegram", "nobody", hello) is None
        read = await tx.conversations.read_unlocked("telegram", "11", hello)
    assert read is not None
    assert (read.row, read.new) == (chat, True)
    assert read.snapshot is not None
    assert [(d.debt_id, d.principal_cents) for d in read.snapshot.debts] == [(debt_id, 123456)]
    assert await _transcript_texts(db, chat.id) == []  # reading stores nothing

    async with db.transaction() as tx:
        await tx.conversations.save(chat, loaded=chat, inbound=hello, replies=[_reply("olá")])
    async with db.transaction() as tx:
        again = await tx.conversations.read_unlocked("telegram", "11", hello)
    assert again is not None
    assert not again.new
    assert await _transcript_texts(db, chat.id) == ["oi", "olá"]  # the message, then the reply


async def test_a_stale_save_stores_neither_the_message_nor_the_replies(db: Database) -> None:
    chat, _ = await _linked_chat(db, "12")
    async with db.transaction() as tx:
        await tx.conversations.touch(chat.id)  # another writer moved the version on
    hello = NewInbound("m-12", "oi", "debtor", NOW)
    with pytest.raises(StaleConversationError):
        async with db.transaction() as tx:
            await tx.conversations.save(chat, loaded=chat, inbound=hello, replies=[_reply("olá")])
    assert await _transcript_texts(db, chat.id) == []
    async with db.transaction(write=False) as tx:
        assert await tx.outbox.pending_count() == 0


def _reply(text: str) -> NewReply:
    return NewReply(text=text, payload=dump_json({"text": text}), author="bot")


async def _transcript_texts(db: Database, conversation_id: int) -> list[str]:
    async with db.transaction(write=False) as tx:
        return [row.text for row in await tx.messages.transcript(conversation_id)]


async def test_a_contact_verified_by_the_step_is_stored_with_its_save_and_never_without(
    db: Database,
) -> None:
    debtor_id = await new_debtor(db)
    async with db.transaction() as tx:
        contact = await tx.contacts.get_or_create("telegram", "1001", now=NOW)
        await tx.contacts.record_failed_attempt(contact.id)
    row = await new_conversation(db)
    linked = dataclasses.replace(row, state="menu", debtor_id=debtor_id, contact_id=contact.id)
    verified = ContactVerified(contact.id, debtor_id)

    stale = dataclasses.replace(linked, version=row.version + 1)
    async with db.transaction() as tx:
        with pytest.raises(StaleConversationError):
            await tx.conversations.save(stale, now=NOW, verified=verified)
    async with db.transaction(write=False) as tx:
        untouched = await tx.contacts.get(contact.id)
    assert untouched is not None
    assert (untouched.debtor_id, untouched.verified_at) == (None, None)
    assert untouched.failed_attempts == 1

    async with db.transaction() as tx:
        await tx.conversations.save(linked, now=NOW, loaded=row, verified=verified)
    async with db.transaction(write=False) as tx:
        stored = await tx.contacts.get(contact.id)
        chat = await tx.conversations.get(row.id)
    assert stored is not None
    assert chat is not None
    assert (stored.debtor_id, stored.verified_at, stored.failed_attempts) == (debtor_id, NOW, 0)
    assert (chat.state, chat.debtor_id) == ("menu", debtor_id)


_ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


async def _create_unlocked(
    db: Database,
    address: str,
    message_id: str = "m-1",
    *,
    channel: str = "webchat",
    phones: Sequence[str] = (),
) -> LockedChat:
    async with db.transaction() as tx:
        return await tx.conversations.create_unlocked(
            channel,
            address,
            NewInbound(message_id, "oi", "debtor", NOW),
            state="new",
            context={"locale": "pt_BR"},
            locale="pt_BR",
            now=NOW,
            phones=phones,
        )


async def _count(db: Database, table: str, address: str) -> int:
    query = text(f"SELECT count(*) FROM {table} WHERE address = :address")
    async with db.transaction(write=False) as tx:
        return int((await tx.connection.execute(query, {"address": address})).scalar_one())


@_ON_POSTGRESQL
async def test_create_unlocked_commits_a_new_chat_and_its_contact_but_not_the_message(
    db: Database,
) -> None:
    made: list[LockedChat] = []

    async def create_then_fail() -> None:
        async with db.transaction() as tx:
            hello = NewInbound("m-1", "oi", "debtor", NOW)
            made.append(
                await tx.conversations.create_unlocked(
                    "webchat", "n-1", hello, state="new", context={}, locale="pt_BR", now=NOW
                )
            )
            raise RuntimeError("the event failed")  # after the creation: it stays

    with pytest.raises(RuntimeError, match="the event failed"):
        await create_then_fail()
    (created,) = made
    assert (created.new, created.snapshot) == (True, None)
    assert (created.row.state, created.row.mode, created.row.version) == ("new", "bot", 0)
    async with db.transaction(write=False) as tx:
        assert await tx.conversations.by_key("webchat", "n-1") == created.row
        contact = await tx.contacts.by_address("webchat", "n-1")
    assert contact is not None
    assert (created.row.contact_id, contact.locale) == (contact.id, "pt_BR")
    assert await _transcript_texts(db, created.row.id) == []  # the save stores the message
    again = await _create_unlocked(db, "n-1")
    assert again == created
    assert (await _count(db, "contact", "n-1"), await _count(db, "conversation", "n-1")) == (1, 1)


@_ON_POSTGRESQL
async def test_create_unlocked_links_the_chat_to_its_known_contacts_debtor(db: Database) -> None:
    debtor_id = await new_debtor(db)
    await new_debt(db, debtor_id)
    async with db.transaction() as tx:
        contact = await tx.contacts.get_or_create("webchat", "n-2", now=NOW)
        await tx.contacts.link(contact.id, debtor_id)

    created = await _create_unlocked(db, "n-2")

    assert (created.row.contact_id, created.row.debtor_id) == (contact.id, debtor_id)
    assert created.snapshot is not None
    assert created.snapshot.debtor_id == debtor_id
    assert await _count(db, "contact", "n-2") == 1


@_ON_POSTGRESQL
async def test_create_unlocked_of_an_existing_chat_says_whether_the_message_was_seen(
    db: Database,
) -> None:
    chat = await new_conversation(db, "n-3", channel="webchat")
    async with db.transaction() as tx:
        await tx.messages.add_inbound(chat.id, "webchat", "m-seen", "oi", now=NOW)

    seen = await _create_unlocked(db, "n-3", "m-seen")
    unseen = await _create_unlocked(db, "n-3", "m-new")

    assert (seen.row, seen.new, unseen.row, unseen.new) == (chat, False, chat, True)


@_ON_POSTGRESQL
async def test_a_chat_another_transaction_creates_meanwhile_is_found_not_made_twice(
    db: Database,
) -> None:
    """The other creator commits after the statement began, which cannot see its rows."""
    created = asyncio.Event()

    async def slow_creator() -> ConversationRow:
        async with db.transaction() as tx:
            contact = await tx.contacts.get_or_create("webchat", "n-4", now=NOW)
            chat = await tx.conversations.create(
                "webchat", "n-4", state="new", contact_id=contact.id, now=NOW
            )
            created.set()
            await eventually(lambda: _lock_waiters_above_zero(db))  # the other one waits
            return chat

    async def creator() -> LockedChat:
        await created.wait()
        return await _create_unlocked(db, "n-4")

    chat, found = await asyncio.gather(slow_creator(), creator())

    assert found.row == chat
    assert (await _count(db, "contact", "n-4"), await _count(db, "conversation", "n-4")) == (1, 1)


async def _lock_waiters_above_zero(db: Database) -> bool:
    return await _lock_waiters(db) > 0


@_ON_POSTGRESQL
async def test_two_processes_creating_the_same_chats_at_once_make_each_once(
    database_url: str,
) -> None:
    dbs = [Database(database_url), Database(database_url)]
    try:
        addresses = [f"n-5-{n}" for n in range(10)]
        made = await asyncio.gather(
            *(_create_unlocked(d, address) for address in addresses for d in dbs)
        )
        for n, address in enumerate(addresses):
            assert made[2 * n] == made[2 * n + 1]  # both processes got the same chat
            counts = (
                await _count(dbs[0], "contact", address),
                await _count(dbs[0], "conversation", address),
            )
            assert counts == (1, 1)
    finally:
        for d in dbs:
            await d.dispose()


@_ON_POSTGRESQL
async def test_create_unlocked_links_a_whatsapp_sender_to_the_debtor_with_that_phone(
    db: Database,
) -> None:
    ana = await new_debtor(db)  # +5511987654321
    bruno = await new_debtor(db, external_id="D2", cpf="11144477735", phone="+5511912345678")
    async with db.transaction() as tx:
        unlinked = await tx.contacts.get_or_create("whatsapp", "5511912345678", now=NOW)

    # WhatsApp's wa_id often drops the ninth digit: the service passes both spellings.
    new = await _create_unlocked(
        db, "551187654321", channel="whatsapp", phones=["+5511987654321", "+551187654321"]
    )
    known = await _create_unlocked(
        db, "5511912345678", channel="whatsapp", phones=["+5511912345678"]
    )
    stranger = await _create_unlocked(
        db, "5511900000000", channel="whatsapp", phones=["+5511900000000"]
    )

    assert new.row.debtor_id == ana
    assert (known.row.contact_id, known.row.debtor_id) == (unlinked.id, bruno)
    assert known.snapshot is not None
    assert known.snapshot.debtor_id == bruno
    assert stranger.row.debtor_id is None
    async with db.transaction(write=False) as tx:
        contacts = [
            await tx.contacts.by_address("whatsapp", address)
            for address in ("551187654321", "5511912345678", "5511900000000")
        ]
    assert [c.debtor_id if c else "missing" for c in contacts] == [ana, bruno, None]
    assert all(c is not None and c.verified_at is None for c in contacts)  # linked, not verified
