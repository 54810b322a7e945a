"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

PTB leaves the transport to a `BaseRequest`; its default, `HTTPXRequest`, spent ~40 % of the
Telegram path's CPU in httpx, httpcore, h11 and anyio (py-spy on `quita bench --channel
telegram`), more than the conversation service itself. aiohttp is already Quita's web
server, and its client does the same request in a fraction of that. Everything PTB does on
top (parameters, JSON, error classes, retries left to the caller) is unchanged.

Timeouts, as PTB names them: `connect_timeout` is connecting a socket, `pool_timeout` plus
`connect_timeout` is getting a connection (aiohttp counts waiting for a free one in the pool
as connecting), `read_timeout` is the longest silence while waiting for the answer, and the
whole request is cut off after the sum of all four (aiohttp has no separate write timeout).
"""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from typing import Final

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

_TOKEN_IN_PATH: Final = re.compile(r"(/(?:file/)?bot)[^/]+/")
_FORM: Final = {"Content-Type": "application/x-www-form-urlencoded"}
_NOT_STARTED: Final = "AiohttpRequest is not initialized: call initialize() first"


class AiohttpRequest(BaseRequest):
    """A pool of up to `connection_pool_size` keep-alive connections to the Bot API.

    The defaults are HTTPXRequest's, so the two are interchangeable."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the connection pool (again, after `shutdown`)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # The environment's proxy settings are read once per host (`_proxy_for`):
                # aiohttp's `trust_env` reads them and ~/.netrc in a thread on every request.
                trust_env=False,
            )

    async def shutdown(self) -> None:
        """Close the pool; safe to call twice."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError(_NOT_STARTED)
        has_files = request_data is not None and request_data.contains_files
        timeout = self._timeout(
            read=_given(read_timeout, self._read_timeout),
            write=_given(
                write_timeout, self._media_write_timeout if has_files else self._write_timeout
            ),
            connect=_given(connect_timeout, self._connect_timeout),
            pool=_given(pool_timeout, self._pool_timeout),
        )
        body = _body(request_data)
        try:
            async with session.request(
                method,
                url,
                data=body,
                headers=_FORM if isinstance(body, bytes) else None,
                timeout=timeout,
                proxy=self._proxy_for(url),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # Some errors quote the URL, and its path carries the bot's token.
            said = str(error).replace(url, _TOKEN_IN_PATH.sub(r"\1<token>/", url))
            raise NetworkError(f"aiohttp.{type(error).__name__}: {said}") from None

    def _proxy_for(self, url: str) -> str | None:
        """The proxy for `url` from HTTPS_PROXY, ALL_PROXY, NO_PROXY (like httpx does)."""
        parts = urllib.parse.urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxies:
            host = parts.hostname or ""
            bypass = not host or urllib.request.proxy_bypass(host)
            proxies = urllib.request.getproxies()
            proxy = proxies.get(parts.scheme) or proxies.get("all")
            self._proxies[key] = None if bypass else proxy
        return self._proxies[key]

    @staticmethod
    def _timeout(
        *, read: float | None, write: float | None, connect: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        parts = (read, write, connect, pool)
        total = None if any(part is None for part in parts) else sum(p or 0.0 for p in parts)
        getting = None if connect is None or pool is None else connect + pool
        return aiohttp.ClientTimeout(
            total=total, connect=getting, sock_connect=connect, sock_read=read
        )


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _body(request_data: RequestData | None) -> aiohttp.FormData | bytes | None:
    """Form fields as PTB encodes them (JSON values), multipart when files are uploaded.

    The URL-encoded form is built here: given a dict, aiohttp would build a multipart writer
    (and a random boundary) for every request before finding it does not need one."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.url_encoded_parameters().encode()
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
