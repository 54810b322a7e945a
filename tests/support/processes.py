"""Quita as real subprocesses for tests: start, read output as it comes, signal, wait."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

import psutil

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
    """A clean environment for a `quita` process: SQLite in tmp_path unless `extra` says else."""
    ours = ("QUITA_", "TELEGRAM_", "WHATSAPP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        {
            "QUITA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'quita.db'}",
            "QUITA_HTTP_PORT": str(port),
            "QUITA_POLICY_FILE": str(ROOT / "policy.example.toml"),
        }
    )
    env.update(extra)
    return env


# Processes of this one (psutil).


def niceness(pid: int) -> int:
    return int(psutil.Process(pid).nice())


def resident_megabytes(pid: int) -> float:
    """The process's resident memory, in MiB."""
    return float(psutil.Process(pid).memory_info().rss) / 2**20


def qr_drawing_processes(app: int | None = None) -> list[int]:
    """`bot.outbound_media`'s running drawing processes of `app` (this process by default)."""
    found = []
    for child in psutil.Process(app or os.getpid()).children():
        with contextlib.suppress(psutil.NoSuchProcess):
            if "bot.payments.qr_worker" in child.cmdline() and running(child.pid):
                found.append(child.pid)
    return found


def running(pid: int) -> bool:
    """Not ended: a process that exited but was not reaped yet (a zombie) has ended."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
