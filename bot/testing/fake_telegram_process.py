"""The loopback Bot API in a process of its own, fed updates over HTTP.

`quita bench --channel telegram` measures Quita's CPU per update. With the fake in the same
process, a sixth of that was the fake answering PTB's requests, work the real Bot API does
on Telegram's machines. In a child process it runs on the other core, as a remote server
would; the bench queues the debtors' messages through `push_many` (one request per batch).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any

import aiohttp

from bot.testing.fake_telegram import DEFAULT_TOKEN, UPDATES_PATH, FakeTelegramApi

_START_TIMEOUT_S = 30.0


class FakeTelegramProcess:
    """`async with FakeTelegramProcess() as fake:` then point PTB at `fake.base_url`."""

    def __init__(self, token: str = DEFAULT_TOKEN) -> None:
        self.token = token
        self.port = 0
        self._process: multiprocessing.process.BaseProcess | None = None
        self._control: Connection | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def base_url(self) -> str:
        """What `TELEGRAM_API_BASE_URL` should be; PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def __aenter__(self) -> FakeTelegramProcess:
        context = multiprocessing.get_context("spawn")  # no copy of this process's loop
        self._control, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(self.token, child_end), name="fake-telegram", daemon=True
        )
        self._process.start()
        child_end.close()
        try:
            self.port = await asyncio.to_thread(self._wait_for_port)
        except BaseException:
            await self._stop()
            raise
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    async def push_many(self, updates: list[dict[str, Any]]) -> list[int]:
        """Queue `updates` for `getUpdates`, in order; returns their update ids."""
        if self._session is None:
            raise RuntimeError("FakeTelegramProcess is not running")
        url = f"http://127.0.0.1:{self.port}{UPDATES_PATH}"
        async with self._session.post(url, json=updates) as response:
            response.raise_for_status()
            ids: list[int] = await response.json()
        return ids

    def _wait_for_port(self) -> int:
        assert self._control is not None
        if not self._control.poll(_START_TIMEOUT_S):
            raise RuntimeError("the fake Bot API process did not start")
        port: int = self._control.recv()
        return port

    async def _stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.send("stop")
            self._control.close()
            self._control = None
        process = self._process
        if process is not None:
            await asyncio.to_thread(process.join, 10)
            if process.is_alive():  # pragma: no cover - only if the child hangs
                process.kill()
                await asyncio.to_thread(process.join)
            self._process = None


def _serve(token: str, control: Connection) -> None:
    """Child process: serve the fake until told to stop (or the parent is gone)."""

    async def main() -> None:
        async with FakeTelegramApi(token=token) as fake:
            control.send(fake.port)
            with contextlib.suppress(EOFError, OSError):
                await asyncio.to_thread(control.recv)

    asyncio.run(main())
