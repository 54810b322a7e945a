"""A loopback Telegram Bot API: just enough of it for python-telegram-bot to run for real.

Serves `/bot<token>/<method>` on 127.0.0.1 (form, JSON or multipart bodies, as PTB sends
them), keeps a queue of updates for `getUpdates` long polling, records every call, and can be
told to fail the next calls of a method (429 with retry_after, 403, 400, 5xx). Waiting is done
on an `asyncio.Condition`, never by sleeping. It lives in `bot/`, not `tests/`, because
`quita bench --channel telegram` drives the real PTB stack through it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

DEFAULT_TOKEN = "123456:TEST-fake-token_abcdefghijklmnopqrstuvw"  # noqa: S105 - a fake
BOT_ID = 123456
BOT_USERNAME = "quita_test_bot"
# Where a fake in another process takes updates to queue: a JSON list, answered with their ids.
UPDATES_PATH = "/fake/updates"

# Form fields PTB JSON-encodes; every other field is a plain string.
_JSON_FIELDS = frozenset(
    {
        "chat_id",
        "offset",
        "limit",
        "timeout",
        "allowed_updates",
        "reply_markup",
        "message_id",
        "entities",
        "caption_entities",
        "drop_pending_updates",
        "max_connections",
        "show_alert",
        "cache_time",
        "link_preview_options",
        "disable_notification",
        "protect_content",
        "reply_parameters",
    }
)


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made: method, decoded parameters, uploaded files, when, the answer."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float
    status: int


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class FakeTelegramApi:
    """Start with `async with FakeTelegramApi() as fake:`; point PTB at `fake.base_url`."""

    token: str = DEFAULT_TOKEN
    calls: list[ApiCall] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _calls_by_chat: dict[int, list[ApiCall]] = field(default_factory=dict)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _closing: bool = False
    _runner: web.AppRunner | None = None
    port: int = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FakeTelegramApi:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        app.router.add_post(UPDATES_PATH, self._push_posted)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        async with self._changed:
            self._closing = True
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """What `TELEGRAM_API_BASE_URL` should be; PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- injecting updates -----------------------------------------------------------------

    async def push_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update (an `update_id` is assigned if missing); returns its id."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return int(update["update_id"])

    async def push_many(self, updates: list[dict[str, Any]]) -> list[int]:
        """Queue several updates atomically, as Telegram would hand them out in one batch."""
        stamped = [{"update_id": next(self._update_ids), **u} for u in updates]
        async with self._changed:
            self._updates.extend(stamped)
            self._changed.notify_all()
        return [int(u["update_id"]) for u in stamped]

    async def push_text(self, chat_id: int, text: str, **user: Any) -> int:
        return await self.push_update({"message": text_message(chat_id, text, **user)})

    async def push_callback(self, chat_id: int, data: str, **user: Any) -> int:
        return await self.push_update(callback_update(chat_id, data, **user))

    async def push_sticker(self, chat_id: int, **user: Any) -> int:
        return await self.push_update({"message": sticker_message(chat_id, **user)})

    def next_update_id(self) -> int:
        """A fresh id, for updates delivered some other way (e.g. POSTed to a webhook)."""
        return next(self._update_ids)

    # -- failures --------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail the way Telegram does."""
        self._failures.setdefault(method, []).append(
            _Failure(status, description, retry_after, times)
        )

    # -- observing -------------------------------------------------------------------------

    def calls_to(self, method: str, **match: Any) -> list[ApiCall]:
        """Recorded calls of `method` whose params equal every `match` item."""
        return [
            call
            for call in self.calls
            if call.method == method and all(call.params.get(k) == v for k, v in match.items())
        ]

    def calls_in(self, chat_id: int) -> list[ApiCall]:
        """Every call addressed to one chat, in order (indexed: cheap with many chats)."""
        return self._calls_by_chat.get(chat_id, [])

    def sent_to(self, chat_id: int) -> list[str]:
        """Texts (and photo captions) successfully sent to a chat, in order."""
        texts: list[str] = []
        for call in self.calls:
            if call.status != 200 or call.params.get("chat_id") != chat_id:
                continue
            if call.method == "sendMessage":
                texts.append(str(call.params.get("text", "")))
            elif call.method == "sendPhoto":
                texts.append(str(call.params.get("caption", "")))
        return texts

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Block until `predicate()` holds (re-checked on every call or pushed update)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_for_calls(
        self,
        method: str,
        n: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
        **match: Any,
    ) -> list[ApiCall]:
        await self.wait_for(lambda: len(self.calls_to(method, **match)) >= n, timeout)
        return self.calls_to(method, **match)

    async def _push_posted(self, request: web.Request) -> web.Response:
        try:
            updates = await request.json()
        except ValueError:
            return web.json_response({"error": "the body must be JSON"}, status=400)
        if not isinstance(updates, list) or not all(isinstance(u, dict) for u in updates):
            return web.json_response({"error": "expected a list of updates"}, status=400)
        return web.json_response(await self.push_many(updates))

    # -- the API ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params, files = await _read_params(request)
        failure = self._take_failure(method)
        if failure is not None:
            await self._record(method, params, files, failure.status)
            return _error(failure.status, failure.description, failure.retry_after)
        if method == "getUpdates":  # recorded on arrival: a long poll may wait a while
            await self._record(method, params, files, 200)
            return _ok(await self._get_updates(params))
        handler = self._methods().get(method)
        if handler is None:
            await self._record(method, params, files, 404)
            return _error(404, f"Not Found: method {method} is not implemented by the fake")
        result: Any = handler(params)
        await self._record(method, params, files, 200)
        return _ok(result)

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Any]]:
        return {
            "getMe": lambda _p: bot_user(),
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": lambda _p: {"url": self.webhook.get("url", ""), **_NO_PENDING},
            "sendMessage": self._sent_message,
            "sendPhoto": self._sent_photo,
            "answerCallbackQuery": lambda _p: True,
            "editMessageText": self._sent_message,
            "editMessageReplyMarkup": self._sent_message,
        }

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    async def _record(
        self, method: str, params: dict[str, Any], files: dict[str, bytes], status: int
    ) -> None:
        call = ApiCall(method, params, files, time.monotonic(), status)
        async with self._changed:
            self.calls.append(call)
            chat_id = params.get("chat_id")
            if isinstance(chat_id, int):
                self._calls_by_chat.setdefault(chat_id, []).append(call)
            self._changed.notify_all()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long poll: confirm everything below `offset`, then wait up to `timeout` for more."""
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: bool(self._updates) or self._closing),
                    timeout,
                )
            return [] if self._closing else self._updates[:limit]

    def _delete_webhook(self, _params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    def _sent_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to(params)
        message["text"] = params.get("text", "")
        return message

    def _sent_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_to(params)
        size = {"file_id": f"photo-{message['message_id']}", "width": 400, "height": 400}
        message["photo"] = [{**size, "file_unique_id": size["file_id"]}]
        if params.get("caption"):
            message["caption"] = params["caption"]
        return message

    def _message_to(self, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": params.get("message_id") or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": params.get("chat_id"), "type": "private"},
            "from": bot_user(),
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message


_NO_PENDING = {"has_custom_certificate": False, "pending_update_count": 0}


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    if request.content_type == "application/json":
        body = await request.json()
        return (dict(body) if isinstance(body, dict) else {}), files
    if request.query:
        params.update(_decode_form(dict(request.query)))
    form = await request.post()
    for name, value in form.items():
        if isinstance(value, web.FileField):
            files[name] = value.file.read()
            params[name] = f"attach://{name}"
        else:
            params.update(_decode_form({name: str(value)}))
    return params, files


def _decode_form(fields: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for name, value in fields.items():
        if name in _JSON_FIELDS:
            try:
                decoded[name] = json.loads(value)
            except ValueError:
                decoded[name] = value
        else:
            decoded[name] = value
    return decoded


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


# -- builders for update payloads (also handy for POSTing to a webhook) -----------------------

_incoming_message_ids = itertools.count(1)


def bot_user() -> dict[str, Any]:
    return {
        "id": BOT_ID,
        "is_bot": True,
        "first_name": "Quita",
        "username": BOT_USERNAME,
        "can_join_groups": False,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def user(
    chat_id: int, first_name: str = "Maria", language_code: str | None = "pt-br"
) -> dict[str, Any]:
    person: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        person["language_code"] = language_code
    return person


def _message(chat_id: int, chat_type: str = "private", **who: Any) -> dict[str, Any]:
    sender = user(chat_id, **who)
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = sender["first_name"]
    else:
        chat["title"] = "Some group"
    return {
        "message_id": next(_incoming_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": sender,
    }


def text_message(chat_id: int, text: str, **who: Any) -> dict[str, Any]:
    """A text message; a leading `/command` gets the `bot_command` entity Telegram adds."""
    message = _message(chat_id, **who)
    message["text"] = text
    if text.startswith("/"):
        command = text.split(" ", 1)[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return message


def sticker_message(chat_id: int, **who: Any) -> dict[str, Any]:
    message = _message(chat_id, **who)
    message["sticker"] = {
        "file_id": "sticker-1",
        "file_unique_id": "sticker-1u",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    return message


def media_message(chat_id: int, kind: str, **who: Any) -> dict[str, Any]:
    """A message carrying `kind` (voice, photo, location, contact, document, video)."""
    file = {"file_id": f"{kind}-1", "file_unique_id": f"{kind}-1u"}
    payloads: dict[str, Any] = {
        "voice": {**file, "duration": 3},
        "photo": [{**file, "width": 90, "height": 90}],
        "location": {"latitude": -23.55, "longitude": -46.63},
        "contact": {"phone_number": "+5511999990000", "first_name": "Maria"},
        "document": {**file},
        "video": {**file, "width": 320, "height": 240, "duration": 2},
    }
    message = _message(chat_id, **who)
    message[kind] = payloads[kind]
    return message


def callback_update(chat_id: int, data: str, **who: Any) -> dict[str, Any]:
    """A button tap on an earlier bot message in a private chat."""
    shown = _message(chat_id)
    shown["from"] = bot_user()
    shown["text"] = "Escolha uma opção"
    return {
        "callback_query": {
            "id": f"cq-{next(_incoming_message_ids)}",
            "from": user(chat_id, **who),
            "message": shown,
            "chat_instance": f"ci-{chat_id}",
            "data": data,
        }
    }
