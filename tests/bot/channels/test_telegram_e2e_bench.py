"""`quita bench --channel telegram` runs conversations through the real PTB stack, next to the
aiogram yardstick DESIGN.md names, which answers exactly as Quita does."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.bench import SCRIPT_AFTER_CPF, bench_telegram, seed_debtors
from bot.bench.aiogram_reference import replies_for, run_against
from bot.bench.conversations import BENCH_NOW, FIVE_STEPS, telegram_script
from bot.bench.loopback_chats import TELEGRAM_CHAT_BASE
from bot.clock import ManualClock
from bot.commands.bench import bench_command
from bot.testing.fake_telegram import ApiCall, FakeTelegramApi
from bot.testing.telegram_user import TelegramUser
from bot.wiring import attach_telegram
from dialogs.negotiation.policy import default_policy
from storage import Database
from tests.support.harness import running_quita
from tests.support.process_logging import process_logging_restored


async def test_every_scripted_update_is_answered_and_timed(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    lines: list[str] = []

    figures = await bench_telegram(url, 3, lines.append, lambda _done: None)

    assert figures.five_steps.events == len(figures.five_steps.latencies_ms) == 3 * FIVE_STEPS
    assert figures.reference is not None
    assert figures.reference.events == len(figures.reference.latencies_ms) == 3 * FIVE_STEPS
    whole = 3 * (2 + len(SCRIPT_AFTER_CPF))
    assert figures.whole.events == len(figures.whole.latencies_ms) == whole
    first = figures.whole_first_reply.latencies_ms
    assert len(first) == whole  # every update got at least one reply
    assert all(
        f <= c for f, c in zip(sorted(first), sorted(figures.whole.latencies_ms), strict=True)
    )
    assert lines == ["seeding 6 debtors into sqlite…"]


async def test_without_aiogram_the_bench_says_how_to_measure_the_yardstick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "aiogram" else real_find_spec(name, *args),
    )
    lines: list[str] = []

    figures = await bench_telegram(
        f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}", 1, lines.append, lambda _done: None
    )

    assert figures.reference is None
    assert figures.five_steps.events == FIVE_STEPS
    assert any("pip install 'quita[bench]'" in line for line in lines)


def test_the_command_judges_quita_against_the_measured_yardstick() -> None:
    with process_logging_restored():  # the command logs as `quita run` does
        result = CliRunner().invoke(bench_command, ["--channel", "telegram", "--debtors", "2"])

    assert result.exit_code == 0, result.output
    for run in ("telegram, five steps", "aiogram in memory, five steps", "whole conversation"):
        assert run in result.output
    assert "updates/s" in result.output
    assert "five steps: target: ≥ " in result.output
    assert "(an in-memory aiogram bot, same flow and loopback API, DESIGN.md)" in result.output
    assert "rate limits lifted" in result.output
    assert re.search(r"gc \d+× ≤ \d+ ms", result.output)  # each run's collector pauses
    assert "heap sweep (quita run: one every 10 min): loop paused " in result.output
    assert re.search(
        r"machine: sum\(range\(1000\)\) took [\d.]+ µs before the runs and [\d.]+ µs after, "
        r"on Python 3\.\d+\.\d+\S* \(/\S+\)",
        result.output,
    )


def test_quita_commands_start_without_importing_the_yardstick() -> None:
    """aiogram takes seconds to import: `quita run` and the other commands never load it."""
    probe = "import sys, bot.cli; print('aiogram' in sys.modules)"

    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )

    assert loaded.stdout.strip() == "False"


async def test_the_yardstick_sends_what_quita_sends(
    database_url: str, fake: FakeTelegramApi
) -> None:
    """Same texts, parse modes and buttons, step by step: the comparison is like for like."""
    policy = default_policy()
    steps = replies_for(range(1), policy)[TELEGRAM_CHAT_BASE]
    settings = {"telegram_bot_token": fake.token, "telegram_api_base_url": fake.base_url}
    async with running_quita(
        database_url,
        clock=ManualClock(BENCH_NOW),
        seed=False,
        settings=settings,
        attach=[attach_telegram],
    ):
        db = Database(database_url)
        try:
            await seed_debtors(db, 1, lambda _done: None)
        finally:
            await db.dispose()
        debtor = TelegramUser(fake, TELEGRAM_CHAT_BASE, first_name="Pessoa")
        replies = 0
        for text, step in zip(telegram_script(0)[:FIVE_STEPS], steps, strict=True):
            await debtor.say(text)
            replies += len(step)
            await debtor.wait_for_replies(replies)
        sent_by_quita = [_as_shown(call) for call in debtor.replies]

    async with FakeTelegramApi() as yardstick_api:
        figures = await run_against(yardstick_api, 1, policy)
        yardstick = TelegramUser(yardstick_api, TELEGRAM_CHAT_BASE)
        sent_by_yardstick = [_as_shown(call) for call in yardstick.replies]

    assert figures.events == FIVE_STEPS
    assert len(sent_by_quita) == replies > FIVE_STEPS
    assert sent_by_yardstick == sent_by_quita
    assert any(markup for *_, markup in sent_by_quita)  # buttons are part of the comparison


def _as_shown(call: ApiCall) -> tuple[Any, ...]:
    params = call.params
    return (call.method, params.get("text"), params.get("parse_mode"), params.get("reply_markup"))
