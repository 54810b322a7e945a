"""ConversationService: one writer per chat, duplicates dropped, everything in one commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.clock import ManualClock
from bot.demo import SAMPLE_DEBTS_CSV
from bot.importing import import_debts
from bot.service import ConversationService, HandleResult
from dialogs.flow.events import (
    AgentClaimed,
    AgentSays,
    ButtonPressed,
    Event,
    MediaReceived,
    StartRequested,
    TextReceived,
)
from dialogs.negotiation.policy import default_policy
from storage import Database, MessageRow, upgrade
from storage.repositories.conversations import SqlConversations
from storage.rows import LockedChat

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
KEY = ConversationKey(ChannelName.WEBCHAT, "wc_service_test_1")


@pytest.fixture
async def service(db: Database) -> ConversationService:
    await import_debts(db, SAMPLE_DEBTS_CSV, today=NOW.date(), now=NOW)
    return ConversationService(db, default_policy(), ManualClock(NOW))


def inbound(event: Event, message_id: str | None, key: ConversationKey = KEY) -> Inbound:
    return Inbound(key, event, NOW, message_id=message_id, locale="pt_BR")


async def transcript(db: Database, key: ConversationKey = KEY) -> list[MessageRow]:
    async with db.transaction(write=False) as tx:
        conv = await tx.conversations.by_key(key.channel.value, key.address)
        assert conv is not None
        return await tx.messages.transcript(conv.id)


async def outbox_count(db: Database) -> int:
    async with db.transaction(write=False) as tx:
        return await tx.outbox.pending_count()


async def test_the_same_inbound_twice_concurrently_is_stored_and_answered_once(
    service: ConversationService, db: Database
) -> None:
    await service.handle(inbound(StartRequested(), "start"))
    results = await asyncio.gather(
        *(service.handle(inbound(TextReceived("529.982.247-25"), "cpf-1")) for _ in range(5))
    )
    assert sorted(r.duplicate for r in results) == [False, True, True, True, True]
    rows = await transcript(db)
    assert [r.text for r in rows if r.author == "debtor"] == ["/start", "529.982.247-25"]
    assert sum("Total atualizado" in r.text for r in rows) == 1


async def test_the_full_cpf_links_and_verifies_the_contact_in_the_same_commit(
    service: ConversationService, db: Database
) -> None:
    await service.handle(inbound(StartRequested(), "start"))
    await service.handle(inbound(TextReceived("529.982.247-25"), "cpf"))

    async with db.transaction(write=False) as tx:
        contact = await tx.contacts.by_address(KEY.channel.value, KEY.address)
        marcos = await tx.debtors.by_cpf("52998224725")
    assert contact is not None
    assert marcos is not None
    assert contact.debtor_id == marcos.id
    assert contact.verified_at == NOW
    assert contact.failed_attempts == 0


async def test_ten_messages_at_once_are_handled_and_answered_in_order(
    service: ConversationService, db: Database, tmp_path: Path
) -> None:
    """Concurrent arrival gives exactly the transcript of one-after-the-other handling
    (the reference runs in a second, fresh database)."""
    words = [
        "oi",
        "529.982.247-25",
        "quero parcelar",
        "em 10x",
        "nao",
        "ajuda",
        "quanto fica a vista?",
        "6x",
        "pix",
        "sim",
    ]
    reference_url = f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}"
    await upgrade(reference_url)
    reference = Database(reference_url)
    try:
        await import_debts(reference, SAMPLE_DEBTS_CSV, today=NOW.date(), now=NOW)
        one_by_one = ConversationService(reference, default_policy(), ManualClock(NOW))
        for n, word in enumerate(words):
            await one_by_one.handle(inbound(TextReceived(word), f"m{n}"))
        sequential = [(r.author, r.text) for r in await transcript(reference)]
    finally:
        await reference.dispose()
    await asyncio.gather(
        *(service.handle(inbound(TextReceived(w), f"m{n}")) for n, w in enumerate(words))
    )
    concurrent = [(r.author, r.text) for r in await transcript(db)]
    assert [text for author, text in concurrent if author == "debtor"] == words
    assert concurrent == sequential
    assert len(concurrent) > 2 * len(words)


async def test_no_more_events_than_the_bound_are_in_progress_and_chats_keep_their_order(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst waits its turn in arrival order instead of crowding the event loop."""
    await import_debts(db, SAMPLE_DEBTS_CSV, today=NOW.date(), now=NOW)
    service = ConversationService(db, default_policy(), ManualClock(NOW), max_in_progress=3)
    in_progress, most = 0, 0
    handle_locked = service._handle_locked

    async def counted(event: Inbound) -> HandleResult:
        nonlocal in_progress, most
        in_progress += 1
        most = max(most, in_progress)
        try:
            return await handle_locked(event)
        finally:
            in_progress -= 1

    monkeypatch.setattr(service, "_handle_locked", counted)
    chats = [ConversationKey(ChannelName.WEBCHAT, f"wc_burst_{n}") for n in range(8)]
    words = ["oi", "529.982.247-25", "quero parcelar"]

    await asyncio.gather(
        *(
            service.handle(inbound(TextReceived(word), f"{key.address}-{n}", key))
            for n, word in enumerate(words)
            for key in chats
        )
    )

    assert most == 3
    for key in chats:
        rows = await transcript(db, key)
        assert [r.text for r in rows if r.author == "debtor"] == words
        assert any("Total atualizado" in r.text for r in rows)


async def test_stickers_and_oversized_text_get_polite_replies(
    service: ConversationService, db: Database
) -> None:
    await service.handle(inbound(StartRequested(), "start"))
    sticker = await service.handle(inbound(MediaReceived("sticker"), "sticker"))
    huge = await service.handle(inbound(TextReceived("a" * 20_000), "huge"))
    assert sticker.replies >= 1
    assert huge.replies >= 1
    rows = await transcript(db)
    assert any("texto" in r.text for r in rows if r.direction == "out")
    stored = next(r for r in rows if r.author == "debtor" and r.text.startswith("aaa"))
    assert len(stored.text) == 4096


async def test_an_unknown_button_never_breaks_the_chat(
    service: ConversationService, db: Database
) -> None:
    await service.handle(inbound(StartRequested(), "start"))
    result = await service.handle(inbound(ButtonPressed("no-such-choice"), "b1"))
    assert not result.duplicate
    assert result.replies >= 1
    after = await service.handle(inbound(TextReceived("529.982.247-25"), "cpf"))
    assert after.state == "balance"


async def test_while_an_agent_owns_the_chat_the_bot_is_silent(
    service: ConversationService, db: Database
) -> None:
    await service.handle(inbound(StartRequested(), "start"))
    await service.handle(inbound(TextReceived("529.982.247-25"), "cpf"))
    await service.handle(Inbound(KEY, AgentClaimed("Ana"), NOW, idempotency_key="claim:1"))
    before = await outbox_count(db)
    silent = await service.handle(inbound(TextReceived("oi, tem alguém aí?"), "q1"))
    assert silent.replies == 0
    said = await service.handle(
        Inbound(KEY, AgentSays("Oi, Marcos! Sou a Ana.", "Ana"), NOW, idempotency_key="say:1")
    )
    assert said.replies == 1
    rows = await transcript(db)
    assert rows[-1].author == "agent"
    assert rows[-1].text == "Oi, Marcos! Sou a Ana."
    assert any(r.text == "oi, tem alguém aí?" and r.author == "debtor" for r in rows)
    assert await outbox_count(db) == before + 1


async def test_idempotency_keys_drop_repeated_console_and_job_events(
    service: ConversationService, db: Database
) -> None:
    await service.handle(inbound(StartRequested(), "start"))
    first = await service.handle(Inbound(KEY, AgentClaimed("Ana"), NOW, idempotency_key="claim:7"))
    again = await service.handle(Inbound(KEY, AgentClaimed("Ana"), NOW, idempotency_key="claim:7"))
    assert not first.duplicate
    assert again.duplicate
    assert again.replies == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_processes_on_postgresql_serialise_each_chat(database_url: str) -> None:
    """Two services with their own pools and locks (as two `quita run` processes would be)."""
    first_db, second_db = Database(database_url), Database(database_url)
    try:
        await import_debts(first_db, SAMPLE_DEBTS_CSV, today=NOW.date(), now=NOW)
        services = [
            ConversationService(d, default_policy(), ManualClock(NOW))
            for d in (first_db, second_db)
        ]
        keys = [ConversationKey(ChannelName.WEBCHAT, f"wc_two_procs_{n}") for n in range(10)]
        await asyncio.gather(
            *(services[0].handle(inbound(StartRequested(), f"s{n}", k)) for n, k in enumerate(keys))
        )

        async def debtor(n: int, key: ConversationKey) -> None:
            for i in range(6):
                message = inbound(TextReceived(f"ajuda {i}"), f"{n}-{i}", key)
                # Every message is delivered to BOTH processes (a redelivery), in order.
                await asyncio.gather(services[0].handle(message), services[1].handle(message))

        await asyncio.gather(*(debtor(n, k) for n, k in enumerate(keys)))
        for key in keys:
            rows = await transcript(first_db, key)
            asked = [r.text for r in rows if r.author == "debtor"]
            assert asked == ["/start"] + [f"ajuda {i}" for i in range(6)]
            replies_per_message = [len(list(group)) for group in _runs_of_bot_replies(rows)]
            assert all(count == replies_per_message[1] for count in replies_per_message[1:])
    finally:
        await first_db.dispose()
        await second_db.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_new_chats_first_messages_at_two_processes_at_once_make_one_chat(
    database_url: str,
) -> None:
    """Each new chat's first two messages reach different processes at the same moment: one
    chat is created, and the second message is handled after the first, from its state."""
    first_db, second_db = Database(database_url), Database(database_url)
    try:
        services = [
            ConversationService(d, default_policy(), ManualClock(NOW))
            for d in (first_db, second_db)
        ]
        keys = [ConversationKey(ChannelName.WEBCHAT, f"wc_first_race_{n}") for n in range(10)]
        results = await asyncio.gather(
            *(
                services[0].handle(inbound(StartRequested(), f"a{n}", k))
                for n, k in enumerate(keys)
            ),
            *(
                services[1].handle(inbound(TextReceived("oi"), f"b{n}", k))
                for n, k in enumerate(keys)
            ),
        )
        assert not any(result.duplicate for result in results)
        async with first_db.transaction(write=False) as tx:
            chats = [await tx.conversations.by_key("webchat", k.address) for k in keys]
        assert all(chat is not None and chat.version == 2 for chat in chats)  # two steps saved
        for key in keys:
            rows = await transcript(first_db, key)
            assert sorted(r.text for r in rows if r.author == "debtor") == ["/start", "oi"]
            assert all(len(replies) >= 1 for replies in _runs_of_bot_replies(rows))
    finally:
        await first_db.dispose()
        await second_db.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_new_chats_first_message_is_answered_and_stored_once(
    service: ConversationService, db: Database
) -> None:
    first = await service.handle(inbound(StartRequested(), "start"))
    again = await service.handle(inbound(StartRequested(), "start"))

    assert (first.duplicate, again.duplicate) == (False, True)
    assert first.replies >= 1
    rows = await transcript(db)
    assert [r.text for r in rows if r.author == "debtor"] == ["/start"]
    assert [len(replies) for replies in _runs_of_bot_replies(rows)] == [first.replies]
    async with db.transaction(write=False) as tx:
        contact = await tx.contacts.by_address(KEY.channel.value, KEY.address)
        chat = await tx.conversations.by_key(KEY.channel.value, KEY.address)
    assert contact is not None
    assert chat is not None
    assert (chat.contact_id, chat.version) == (contact.id, 1)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_first_message_redelivered_after_a_crash_before_its_save_is_answered(
    service: ConversationService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new chat is committed before its first step; the message only with the step."""
    save = SqlConversations.save

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the process died")

    monkeypatch.setattr(SqlConversations, "save", crash)
    with pytest.raises(RuntimeError, match="the process died"):
        await service.handle(inbound(StartRequested(), "start"))
    async with db.transaction(write=False) as tx:
        chat = await tx.conversations.by_key(KEY.channel.value, KEY.address)
    assert chat is not None
    assert (chat.state, chat.version) == ("new", 0)  # an empty chat, nothing answered
    assert await transcript(db) == []

    monkeypatch.setattr(SqlConversations, "save", save)
    redelivered = await service.handle(inbound(StartRequested(), "start"))

    assert not redelivered.duplicate
    assert redelivered.replies >= 1
    rows = await transcript(db)
    assert [r.text for r in rows if r.author == "debtor"] == ["/start"]
    assert await outbox_count(db) == redelivered.replies


@pytest.fixture
async def two_services(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[ConversationService, ConversationService, Database]]:
    """Two services with their own pools and locks, as two `quita run` processes would be,
    on a started chat whose next reads both happen before either saves (PostgreSQL reads a
    chat without locking it, and saves only if nobody wrote it meanwhile)."""
    dbs = [Database(postgres_url), Database(postgres_url)]
    try:
        await import_debts(dbs[0], SAMPLE_DEBTS_CSV, today=NOW.date(), now=NOW)
        first, second = (ConversationService(d, default_policy(), ManualClock(NOW)) for d in dbs)
        await first.handle(inbound(StartRequested(), "start"))
        _read_together(monkeypatch)
        yield first, second, dbs[0]
    finally:
        for d in dbs:
            await d.dispose()


def _read_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each unlocked read of a chat until the other process has read it too."""
    both_read = asyncio.Barrier(2)
    read = SqlConversations.read_unlocked

    async def read_then_wait(self: SqlConversations, *args: Any) -> LockedChat | None:
        found = await read(self, *args)
        await both_read.wait()
        return found

    monkeypatch.setattr(SqlConversations, "read_unlocked", read_then_wait)


async def test_a_chat_written_by_another_process_after_the_read_is_handled_again_locked(
    two_services: tuple[ConversationService, ConversationService, Database],
) -> None:
    first, second, db = two_services
    results = await asyncio.gather(
        first.handle(inbound(TextReceived("oi"), "m-1")),
        second.handle(inbound(TextReceived("ajuda"), "m-2")),
    )

    assert not any(result.duplicate for result in results)
    rows = await transcript(db)
    asked = [r.text for r in rows if r.author == "debtor"]
    assert asked[0] == "/start"
    assert sorted(asked[1:]) == ["ajuda", "oi"]  # each stored once, whichever came first
    assert all(replies for replies in _runs_of_bot_replies(rows))  # and each answered
    async with db.transaction(write=False) as tx:
        chat = await tx.conversations.by_key(KEY.channel.value, KEY.address)
    assert chat is not None
    assert chat.version == 3  # three steps saved, none lost


async def test_the_same_message_at_two_processes_after_both_read_is_answered_once(
    two_services: tuple[ConversationService, ConversationService, Database],
) -> None:
    first, second, db = two_services
    message = inbound(TextReceived("529.982.247-25"), "cpf")

    results = await asyncio.gather(first.handle(message), second.handle(message))

    assert sorted(result.duplicate for result in results) == [False, True]
    rows = await transcript(db)
    assert [r.text for r in rows if r.author == "debtor"] == ["/start", "529.982.247-25"]
    assert sum("Total atualizado" in r.text for r in rows) == 1


def _runs_of_bot_replies(rows: list[MessageRow]) -> list[list[MessageRow]]:
    runs: list[list[MessageRow]] = []
    for row in rows:
        if row.author == "debtor":
            runs.append([])
        elif runs:
            runs[-1].append(row)
    return runs


async def _a_writer_that_fails(db: Database) -> None:
    """Another writer without a savepoint (as events are) whose work fails half-way."""
    async with db.transaction(retryable=True) as tx:
        await tx.audit.record("system", "doomed", now=NOW)
        raise RuntimeError("a bug in another writer")


async def test_an_event_undone_by_its_commit_groups_failure_is_answered_once(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await import_debts(sqlite_db, SAMPLE_DEBTS_CSV, today=NOW.date(), now=NOW)
    service = ConversationService(sqlite_db, default_policy(), ManualClock(NOW))

    with caplog.at_level("INFO", logger="bot.service"):
        handled, failed = await asyncio.gather(
            service.handle(inbound(StartRequested(), "start")),
            _a_writer_that_fails(sqlite_db),
            return_exceptions=True,
        )

    assert isinstance(failed, RuntimeError)
    assert not isinstance(handled, BaseException), handled
    assert "commit group was rolled back" in caplog.text  # it shared the failed group
    rows = await transcript(sqlite_db)
    assert [r.text for r in rows if r.author == "debtor"] == ["/start"]
    assert len([r for r in rows if r.author == "bot"]) == handled.replies > 0
    assert await outbox_count(sqlite_db) == handled.replies  # each reply queued once
    async with sqlite_db.transaction(write=False) as tx:
        assert [row.action for row in await tx.audit.recent(limit=10)] == []


def service_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "bot.service"]


async def test_info_logs_say_once_a_minute_what_was_handled_never_whose(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await import_debts(db, SAMPLE_DEBTS_CSV, today=NOW.date(), now=NOW)
    clock = ManualClock(NOW)
    service = ConversationService(db, default_policy(), clock)
    cpf = "529.982.247-25"

    with caplog.at_level("INFO", logger="bot.service"):
        results = [
            await service.handle(inbound(StartRequested(), "start")),
            await service.handle(inbound(TextReceived(cpf), "cpf")),
            await service.handle(inbound(TextReceived(cpf), "cpf")),  # a duplicate
        ]
        assert not service_lines(caplog)  # no line per event at INFO
        clock.advance(timedelta(seconds=61))
        results.append(await service.handle(inbound(TextReceived("oi"), "hi")))

    replies = sum(result.replies for result in results)
    assert replies >= 3
    [summary] = service_lines(caplog)
    assert summary == (
        f"handled 4 events (1 duplicates dropped), queued {replies} replies in the last 61 s"
    )


@pytest.fixture
def transactions_begun(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every BEGIN sent to PostgreSQL from now on (one round trip each, and its COMMIT)."""
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

    begun: list[object] = []
    start = AsyncAdapt_asyncpg_connection._start_transaction

    async def counted(self: AsyncAdapt_asyncpg_connection) -> None:
        begun.append(self)
        await start(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "_start_transaction", counted)
    return begun


@pytest.fixture
async def postgres_service(postgres_db: Database) -> ConversationService:
    await import_debts(postgres_db, SAMPLE_DEBTS_CSV, today=NOW.date(), now=NOW)
    return ConversationService(postgres_db, default_policy(), ManualClock(NOW))


async def test_on_postgresql_a_new_chats_first_message_opens_no_transaction_block(
    postgres_service: ConversationService, postgres_db: Database, transactions_begun: list[object]
) -> None:
    """Reading the chat (missing), creating it with its contact, and the step's save (the
    message with it) are three statements, each atomic alone."""
    await postgres_service.handle(inbound(StartRequested(), "start"))

    assert transactions_begun == []
    rows = await transcript(postgres_db)
    assert [r.text for r in rows if r.author == "debtor"] == ["/start"]
    assert any(r.author == "bot" for r in rows)


async def test_on_postgresql_a_cpf_that_verifies_opens_no_transaction_block(
    postgres_service: ConversationService, postgres_db: Database, transactions_begun: list[object]
) -> None:
    """Reading the chat, finding the debtor by CPF and saving all (the contact's verification
    included) are three statements, each atomic alone: no BEGIN and COMMIT round trips."""
    await postgres_service.handle(inbound(StartRequested(), "start"))
    await postgres_service.handle(inbound(TextReceived("529.982.247-25"), "cpf"))

    assert transactions_begun == []
    async with postgres_db.transaction(write=False) as tx:
        contact = await tx.contacts.by_address(KEY.channel.value, KEY.address)
    assert contact is not None
    assert contact.verified_at == NOW
    assert sum("Total atualizado" in row.text for row in await transcript(postgres_db)) == 1
