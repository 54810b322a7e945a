"""`quita demo` and `quita run` as real processes: start, serve, stop cleanly on a signal."""

from __future__ import annotations

import signal
from pathlib import Path

import aiohttp
import pytest

from tests.support.harness import WebchatClient
from tests.support.processes import (
    QuitaProcess,
    environment,
    free_port,
    qr_drawing_processes,
    running,
)
from tests.waiting import eventually


async def test_demo_seeds_prints_chat_links_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    demo = QuitaProcess("demo", env=environment(tmp_path, port), cwd=tmp_path)
    await demo.start()
    try:
        await demo.wait_for_line("Press Ctrl-C")
        link_line = await demo.wait_for_line(f"http://127.0.0.1:{port}/chat?t=")
        assert any("Marcos Vinícius Rocha" in line for line in demo.lines)
        invite = link_line.strip().split("t=", 1)[1]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                assert health.status == 200
            async with http.get(f"http://127.0.0.1:{port}/readyz") as ready:
                assert (await ready.json()) == {"status": "ok", "database": "ok"}
        async with WebchatClient(f"http://127.0.0.1:{port}") as chat:
            await chat.hello(invite=invite)
            await chat.wait_for_text("confirmar")
    finally:
        code = await demo.stop(signal.SIGINT)
    assert code == 0
    assert any("stopped cleanly" in line for line in demo.lines)


async def _started_run(tmp_path: Path) -> tuple[QuitaProcess, int]:
    """`quita run` on a migrated SQLite file in tmp_path, started; and its HTTP port."""
    port = free_port()
    env = environment(tmp_path, port)
    migrate = QuitaProcess("db", "upgrade", env=env, cwd=tmp_path)
    await migrate.start()
    assert await migrate.stop(signal.SIGCONT) == 0
    run = QuitaProcess("run", env=env, cwd=tmp_path)
    await run.start()
    return run, port


async def test_run_stops_gracefully_on_sigterm_and_logs_no_personal_data(tmp_path: Path) -> None:
    run, port = await _started_run(tmp_path)
    try:
        await run.wait_for_line("serving on port")
        async with WebchatClient(f"http://127.0.0.1:{port}") as chat:
            await chat.hello()
            await chat.wait_for_text("CPF")
            await chat.say("Meu CPF é 529.982.247-25, sou o Marcos")
            await chat.wait_for(lambda c: len(c.bot_texts) >= 3)
    finally:
        code = await run.stop(signal.SIGTERM)
    assert code == 0
    logs = "\n".join(run.lines)
    assert "shutting down" in logs
    for personal in ("529.982.247-25", "52998224725", "982.247", "Marcos", "Meu CPF"):
        assert personal not in logs, personal


async def test_a_killed_run_leaves_no_qr_drawing_process_behind(tmp_path: Path) -> None:
    """SIGKILL gives `quita run` no chance to stop its QR drawing process: that process must
    end by itself, or it waits for work forever and keeps the run's stdout and stderr open
    (here `stop` would never see them close)."""
    run, _ = await _started_run(tmp_path)
    assert run.process is not None
    app = run.process.pid

    async def drawing_is_up() -> bool:
        return bool(qr_drawing_processes(app))

    try:
        await run.wait_for_line("serving on port")
        await eventually(drawing_is_up, within=60)
        drawing = qr_drawing_processes(app)
    finally:
        code = await run.stop(signal.SIGKILL)

    async def drawing_ended() -> bool:
        return not any(running(pid) for pid in drawing)

    assert code == -signal.SIGKILL
    await eventually(drawing_ended)


@pytest.mark.parametrize("value", ["carrier-pigeon"])
async def test_run_refuses_a_bad_setting_with_one_line(tmp_path: Path, value: str) -> None:
    run = QuitaProcess(
        "run", env=environment(tmp_path, free_port(), TELEGRAM_MODE=value), cwd=tmp_path
    )
    await run.start()
    code = await run.stop(signal.SIGCONT)
    assert code == 2
    assert run.lines == [
        f"error: TELEGRAM_MODE: Input should be 'polling' or 'webhook' (got '{value}'). "
        "Fix it in .env or the environment."
    ]
