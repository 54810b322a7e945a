"""`quita demo` and `quita run` as real processes: start, serve, stop cleanly on a signal."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.support.harness import WebchatClient

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class QuitaProcess:
    """A `quita` subprocess whose output is collected line by line as it arrives."""

    def __init__(self, *args: str, env: dict[str, str], cwd: Path) -> None:
        self.args, self.env, self.cwd = args, env, cwd
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self.process: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *self.args,
            cwd=self.cwd,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._readers = [
            asyncio.create_task(self._read(self.process.stdout)),
            asyncio.create_task(self._read(self.process.stderr)),
        ]

    async def _read(self, stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            async with self._changed:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self._changed.notify_all()

    async def wait_for_line(self, fragment: str, timeout: float = 60) -> str:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: any(fragment in line for line in self.lines))
        return next(line for line in self.lines if fragment in line)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        async with asyncio.timeout(timeout):
            code = await self.process.wait()
            await asyncio.gather(*self._readers)
        return code


def environment(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QUITA_", "TELEGRAM_", "WHATSAPP_"))
    }
    env.update(
        QUITA_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'quita.db'}",
        QUITA_HTTP_PORT=str(port),
        QUITA_POLICY_FILE=str(ROOT / "policy.example.toml"),
        **extra,
    )
    return env


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


async def test_run_stops_gracefully_on_sigterm_and_logs_no_personal_data(tmp_path: Path) -> None:
    port = free_port()
    env = environment(tmp_path, port)
    migrate = QuitaProcess("db", "upgrade", env=env, cwd=tmp_path)
    await migrate.start()
    assert await migrate.stop(signal.SIGCONT) == 0
    run = QuitaProcess("run", env=env, cwd=tmp_path)
    await run.start()
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
    assert "529" not in logs
    assert "Marcos" not in logs
    assert "982" not in logs


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
