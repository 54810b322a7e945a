"""`quita invite`: one single-use, expiring link per debtor, as a CSV the creditor can send."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.commands.invite import CSV_HEADER, invite_command, issue_invites, write_links
from bot.demo import SAMPLE_DEBTS_CSV
from bot.importing import import_debts
from bot.testing.fake_telegram import BOT_USERNAME, FakeTelegramApi
from storage import Database, tables

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")
SAMPLE_DEBTORS = 9  # distinct debtor ids in bot/demo/sample_debts.csv


@pytest.fixture
async def seeded(database_url: str) -> str:
    await import_debts(database_url, SAMPLE_DEBTS_CSV, today=NOW.date(), now=NOW)
    return database_url


async def invoke(database_url: str, *args: str, **env: str) -> Result:
    """Run the command in a worker thread: it starts its own event loop, as in a terminal."""
    environment = {
        "QUITA_DATABASE_URL": database_url,
        "QUITA_PUBLIC_URL": "https://cobranca.example.com.br",
        "TELEGRAM_BOT_TOKEN": "",
        **env,
    }
    runner = CliRunner()
    return await asyncio.to_thread(runner.invoke, invite_command, list(args), env=environment)


async def stored_hashes(database_url: str) -> list[str]:
    db = Database(database_url)
    try:
        async with db.transaction(write=False) as tx:
            query = select(tables.invite_token.c.token_hash)
            return list((await tx.connection.execute(query)).scalars())
    finally:
        await db.dispose()


def token_of(link: str) -> str:
    return re.split(r"[=]", link)[-1]


async def test_every_debtor_gets_unique_links_and_only_hashes_are_stored(seeded: str) -> None:
    db = Database(seeded)
    totals: list[int] = []
    try:
        links = await issue_invites(
            db,
            now=NOW,
            public_url="https://cobranca.example.com.br",
            bot_username="QuitaBot",
            on_total=totals.append,
        )
    finally:
        await db.dispose()

    assert totals == [SAMPLE_DEBTORS]
    assert len({link.external_id for link in links}) == SAMPLE_DEBTORS
    tokens = [token_of(link.telegram or "") for link in links]
    assert all(TOKEN_SHAPE.fullmatch(token) for token in tokens)
    assert len(set(tokens)) == len(tokens)
    first = links[0]
    assert first.telegram == f"https://t.me/QuitaBot?start={tokens[0]}"
    assert first.webchat == f"https://cobranca.example.com.br/chat?t={tokens[0]}"
    assert first.expires_at == NOW + timedelta(days=30)
    hashes = await stored_hashes(seeded)
    assert sorted(hashes) == sorted(hashlib.sha256(t.encode()).hexdigest() for t in tokens)
    assert not set(tokens) & set(hashes)


def test_csv_has_a_header_and_the_expiry_in_brazilian_time() -> None:
    from bot.commands.invite import InviteLink

    stream = io.StringIO()
    link = InviteLink("CLI-0001", "Maria", None, "https://x.example/chat?t=abc", NOW)
    write_links([link], stream, SAO_PAULO)

    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows == [
        list(CSV_HEADER),
        ["CLI-0001", "Maria", "", "https://x.example/chat?t=abc", "2026-11-25T10:00-03:00"],
    ]


async def test_cli_asks_telegram_for_the_bot_name_and_writes_one_debtor(
    seeded: str, fake: FakeTelegramApi, tmp_path: Path
) -> None:
    out = tmp_path / "links.csv"
    result = await invoke(
        seeded,
        "--debtor",
        "CLI-0001",
        "--out",
        str(out),
        "--ttl-days",
        "7",
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_API_BASE_URL=fake.base_url,
    )

    assert result.exit_code == 0, result.output
    assert "created 1 invite(s), valid for 7 day(s)" in result.output
    [row] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert row["external_id"] == "CLI-0001"
    assert row["name"] == "Maria Aparecida dos Santos"
    token = token_of(row["telegram_link"])
    assert row["telegram_link"] == f"https://t.me/{BOT_USERNAME}?start={token}"
    assert row["webchat_link"] == f"https://cobranca.example.com.br/chat?t={token}"
    expires = datetime.fromisoformat(row["expires_at"])
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    assert len(fake.calls_to("getMe")) == 1


async def test_without_a_bot_token_only_web_chat_links_are_made(seeded: str) -> None:
    result = await invoke(seeded)

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == SAMPLE_DEBTORS
    assert all(row["telegram_link"] == "" and "/chat?t=" in row["webchat_link"] for row in rows)
    assert "only web chat links were created" in result.stderr


async def test_an_unknown_debtor_creates_nothing(seeded: str) -> None:
    result = await invoke(seeded, "--debtor", "CLI-0001", "--debtor", "NOPE-9")

    assert result.exit_code == 2
    assert "no debtor with external id 'NOPE-9'; nothing was created" in result.stderr
    assert await stored_hashes(seeded) == []


async def test_a_wrong_bot_token_is_reported_without_creating_links(
    seeded: str, fake: FakeTelegramApi
) -> None:
    result = await invoke(
        seeded, TELEGRAM_BOT_TOKEN="999:wrong-token", TELEGRAM_API_BASE_URL=fake.base_url
    )

    assert result.exit_code == 2
    assert "cannot ask Telegram for the bot's username" in result.stderr
    assert "999:wrong-token" not in result.output
    assert await stored_hashes(seeded) == []
