"""`quita bench --channel telegram` runs whole conversations through the real PTB stack."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.bench import SCRIPT_AFTER_CPF, bench_telegram
from bot.commands.bench import bench_command


async def test_every_scripted_update_is_answered_and_timed(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bench.db'}"
    lines: list[str] = []

    capacity, first = await bench_telegram(url, 3, lines.append, lambda _done: None)

    updates = 3 * (2 + len(SCRIPT_AFTER_CPF))
    assert capacity.events == updates
    assert len(capacity.latencies_ms) == updates
    assert len(first.latencies_ms) == updates  # every update got at least one reply
    assert all(
        f <= c
        for f, c in zip(sorted(first.latencies_ms), sorted(capacity.latencies_ms), strict=True)
    )
    assert lines == ["seeding 3 debtors into sqlite…"]


def test_the_command_prints_updates_per_second_and_the_target() -> None:
    result = CliRunner().invoke(bench_command, ["--channel", "telegram", "--debtors", "2"])

    assert result.exit_code == 0, result.output
    assert "telegram (closed loop)" in result.output
    assert "updates/s" in result.output
    assert "target: ≥ 1,000 updates/s" in result.output
