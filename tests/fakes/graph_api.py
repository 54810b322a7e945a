"""A loopback stand-in for Meta's Graph API, plus signed webhook bodies shaped like Meta's.

`FakeGraphApi` serves `POST /{phone_number_id}/messages` and `/{phone_number_id}/media` on
127.0.0.1, validates payloads as strictly as the Cloud API does (shape and per-field limits,
answering Meta-shaped 400 errors), records every call, and can be told to fail the next calls
with a given error code. The webhook helpers build notification bodies from the shapes in
`shared/samples/whatsapp/` and sign them the way Meta does.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import aiohttp
from aiohttp import web

PHONE_NUMBER_ID = "106540352242922"
ACCESS_TOKEN = "test-access-token"
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"

MESSAGE_TYPES = frozenset({"text", "interactive", "image", "template"})
MEDIA_TYPES = frozenset({"image/png", "image/jpeg"})
MAX_MEDIA_BYTES = 5 * 1024 * 1024

ERROR_TITLES = {
    100: "Invalid parameter",
    130429: "Rate limit hit",
    131009: "Parameter value is not valid",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131050: "User has stopped marketing messages",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    80007: "Rate limit issues",
    190: "Invalid OAuth access token",
}


class RejectedError(Exception):
    """A payload Meta would refuse, with the code and details Meta would answer."""

    def __init__(self, details: str, code: int = 131009) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake received and what it answered."""

    endpoint: str  # "messages" | "media"
    phone_number_id: str
    status: int
    payload: Any = None  # decoded JSON of a /messages call
    form: Mapping[str, str] = field(default_factory=dict)  # text fields of a /media call
    file: bytes | None = None
    file_content_type: str | None = None
    wamid: str | None = None
    media_id: str | None = None


@dataclass
class _Failure:
    code: int | None
    http_status: int
    retry_after: float | None


class FakeGraphApi:
    """Start with `async with FakeGraphApi() as graph:`; point senders at `graph.base_url`."""

    def __init__(self, *, token: str = ACCESS_TOKEN, phone_number_id: str = PHONE_NUMBER_ID):
        self.token = token
        self.phone_number_id = phone_number_id
        self.calls: list[RecordedCall] = []
        self._failures: list[_Failure] = []
        self._media: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/{phone_number_id}/messages", self._messages)
        app.router.add_post("/{phone_number_id}/media", self._media_upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests look at -----------------------------------------------------------------

    @property
    def sent(self) -> list[Any]:
        """Payloads of the /messages calls that were accepted, in order."""
        return [c.payload for c in self.calls if c.endpoint == "messages" and c.status == 200]

    def uploaded(self, media_id: str) -> bytes:
        return self._media[media_id]

    def fail_next(
        self,
        code: int | None,
        *,
        times: int = 1,
        http_status: int = 400,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next `times` calls with Meta's error body for `code`.

        `code=None` answers a bare HTTP error without a JSON body (a proxy's 502, say).
        """
        self._failures.extend(_Failure(code, http_status, retry_after) for _ in range(times))

    async def wait_for(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `condition()` holds, re-checking after every recorded call."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(condition)

    # --- the API ------------------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.Response:
        phone_id = request.match_info["phone_number_id"]
        payload: Any = None
        try:
            self._authorise(request, phone_id)
            try:
                payload = await request.json()
            except ValueError:
                raise RejectedError("Request body is not valid JSON", code=100) from None
            self._injected_failure()
            validate_message(payload, self._media)
        except _HttpError as error:
            await self._record(RecordedCall("messages", phone_id, error.status, payload))
            return error.response
        except RejectedError as rejected:
            await self._record(RecordedCall("messages", phone_id, 400, payload))
            return meta_error(rejected.code, 400, rejected.details)
        wamid = self._new_wamid(payload["to"])
        await self._record(RecordedCall("messages", phone_id, 200, payload, wamid=wamid))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
                "messages": [{"id": wamid, "message_status": "accepted"}],
            }
        )

    async def _media_upload(self, request: web.Request) -> web.Response:
        phone_id = request.match_info["phone_number_id"]
        form: dict[str, str] = {}
        file: bytes | None = None
        file_type: str | None = None
        try:
            self._authorise(request, phone_id)
            self._injected_failure()
            form, file, file_type = await _read_upload(request)
            validate_media(form, file, file_type)
        except _HttpError as error:
            await self._record(RecordedCall("media", phone_id, error.status, form=form))
            return error.response
        except RejectedError as rejected:
            await self._record(RecordedCall("media", phone_id, 400, form=form))
            return meta_error(rejected.code, 400, rejected.details)
        assert file is not None
        media_id = str(4_000_000_000_000 + next(self._ids))
        self._media[media_id] = file
        await self._record(
            RecordedCall(
                "media",
                phone_id,
                200,
                form=form,
                file=file,
                file_content_type=file_type,
                media_id=media_id,
            )
        )
        return web.json_response({"id": media_id})

    def _authorise(self, request: web.Request, phone_id: str) -> None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise _HttpError(meta_error(190, 401, "Invalid OAuth access token"))
        if phone_id != self.phone_number_id:
            raise _HttpError(meta_error(100, 400, "Unknown phone number id"))

    def _injected_failure(self) -> None:
        if not self._failures:
            return
        failure = self._failures.pop(0)
        headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        if failure.code is None:
            raise _HttpError(
                web.Response(status=failure.http_status, text="upstream error", headers=headers)
            )
        raise _HttpError(meta_error(failure.code, failure.http_status, headers=headers))

    def _new_wamid(self, to: str) -> str:
        raw = f"{to}:{next(self._ids):020d}".encode()
        return "wamid." + base64.b64encode(raw).decode()

    async def _record(self, call: RecordedCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()


async def _read_upload(request: web.Request) -> tuple[dict[str, str], bytes | None, str | None]:
    """The text fields, the file and its content type of a multipart upload."""
    if not request.content_type.startswith("multipart/"):
        raise RejectedError("Media upload must be multipart/form-data", code=100)
    form: dict[str, str] = {}
    file: bytes | None = None
    file_type: str | None = None
    async for part in await request.multipart():
        if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
            raise RejectedError("Unexpected nested multipart", code=100)
        if part.filename is not None:
            file = await part.read()
            file_type = part.headers.get("Content-Type")
        else:
            form[part.name] = await part.text()
    return form, file, file_type


class _HttpError(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response
        self.status = response.status


def meta_error(
    code: int, http_status: int = 400, details: str = "", headers: Mapping[str, str] | None = None
) -> web.Response:
    """An error answer shaped like `samples/whatsapp/error_rate_limit.json`."""
    title = ERROR_TITLES.get(code, "Unknown error")
    body = {
        "error": {
            "message": f"(#{code}) {title}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details or title},
            "fbtrace_id": "AazQ3r6m1Vq9xL2Ue8bT0nJ",
        }
    }
    return web.json_response(body, status=http_status, headers=headers)


# --- strict validation, as the Cloud API does it ---------------------------------------------


def validate_message(payload: Any, media: Mapping[str, bytes]) -> None:
    """Raise `RejectedError` for anything the Cloud API would refuse in a /messages body."""
    body = _obj(payload, "body")
    _only(body, {"messaging_product", "recipient_type", "to", "type", "context"} | MESSAGE_TYPES)
    if body.get("messaging_product") != "whatsapp":
        raise RejectedError("messaging_product must be whatsapp", code=100)
    if body.get("recipient_type", "individual") != "individual":
        raise RejectedError("recipient_type must be individual", code=100)
    to = body.get("to")
    if not isinstance(to, str) or not to.isdigit():
        raise RejectedError("to must be a phone number in digits", code=100)
    kind = body.get("type")
    if kind not in MESSAGE_TYPES:
        raise RejectedError(f"unsupported type {kind!r}", code=100)
    present = MESSAGE_TYPES & body.keys()
    if present != {kind}:
        raise RejectedError("exactly the object named by type must be present", code=100)
    content = _obj(body[kind], kind)
    if kind == "text":
        _only(content, {"body", "preview_url"})
        _text(content.get("body"), "text.body", 4096)
    elif kind == "interactive":
        _validate_interactive(content)
    elif kind == "image":
        _only(content, {"id", "link", "caption"})
        if ("id" in content) == ("link" in content):
            raise RejectedError("image needs exactly one of id or link", code=100)
        if "id" in content and content["id"] not in media:
            raise RejectedError("image id is not an uploaded media id", code=131053)
        if "caption" in content:
            _text(content["caption"], "image.caption", 1024)
    else:
        _validate_template(content)


def _validate_interactive(content: Mapping[str, Any]) -> None:
    _only(content, {"type", "header", "body", "footer", "action"})
    _text(_obj(content.get("body"), "interactive.body").get("text"), "body.text", 1024)
    action = _obj(content.get("action"), "interactive.action")
    if content.get("type") == "button":
        _only(action, {"buttons"})
        buttons = _list(action.get("buttons"), "action.buttons", 1, 3)
        ids, titles = [], []
        for raw in buttons:
            button = _obj(raw, "button")
            _only(button, {"type", "reply"})
            if button.get("type") != "reply":
                raise RejectedError("button type must be reply", code=100)
            reply = _obj(button.get("reply"), "button.reply")
            _only(reply, {"id", "title"})
            ids.append(_text(reply.get("id"), "button.reply.id", 256))
            titles.append(_text(reply.get("title"), "button.reply.title", 20))
        _unique(ids, "button ids")
        _unique(titles, "button titles")
    elif content.get("type") == "list":
        _only(action, {"button", "sections"})
        _text(action.get("button"), "action.button", 20)
        sections = _list(action.get("sections"), "action.sections", 1, 10)
        row_ids: list[str] = []
        for raw in sections:
            section = _obj(raw, "section")
            _only(section, {"title", "rows"})
            if len(sections) > 1 or "title" in section:
                _text(section.get("title"), "section.title", 24)
            for raw_row in _list(section.get("rows"), "section.rows", 1, 10):
                row = _obj(raw_row, "row")
                _only(row, {"id", "title", "description"})
                row_ids.append(_text(row.get("id"), "row.id", 200))
                _text(row.get("title"), "row.title", 24)
                if "description" in row:
                    _text(row["description"], "row.description", 72)
        if len(row_ids) > 10:
            raise RejectedError("a list has at most 10 rows in total")
        _unique(row_ids, "row ids")
    else:
        raise RejectedError("interactive type must be button or list", code=100)


def _validate_template(content: Mapping[str, Any]) -> None:
    _only(content, {"name", "language", "components"})
    _text(content.get("name"), "template.name", 512)
    language = _obj(content.get("language"), "template.language")
    _only(language, {"code", "policy"})
    _text(language.get("code"), "template.language.code", 15)
    for raw in _list(content.get("components", []), "template.components", 0, 10):
        component = _obj(raw, "component")
        _only(component, {"type", "sub_type", "index", "parameters"})
        if component.get("type") not in ("header", "body", "button"):
            raise RejectedError("component type must be header, body or button", code=100)
        for raw_param in _list(component.get("parameters"), "parameters", 1, 100):
            param = _obj(raw_param, "parameter")
            if param.get("type") != "text":
                raise RejectedError("only text parameters are supported here", code=100)
            _only(param, {"type", "text"})
            _text(param.get("text"), "parameter.text", 32768)


def validate_media(form: Mapping[str, str], file: bytes | None, file_type: str | None) -> None:
    """Raise `RejectedError` for an upload the Cloud API would refuse."""
    if form.get("messaging_product") != "whatsapp":
        raise RejectedError("messaging_product must be whatsapp", code=100)
    if form.get("type") not in MEDIA_TYPES:
        raise RejectedError("unsupported media type", code=131053)
    if file is None or not file:
        raise RejectedError("file is required", code=100)
    if file_type != form["type"]:
        raise RejectedError("file content type does not match type", code=131053)
    if len(file) > MAX_MEDIA_BYTES:
        raise RejectedError("image larger than 5 MB", code=131053)


def _obj(raw: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise RejectedError(f"{what} must be an object", code=100)
    return raw


def _list(raw: Any, what: str, least: int, most: int) -> list[Any]:
    if not isinstance(raw, list) or not least <= len(raw) <= most:
        raise RejectedError(f"{what} must be a list of {least} to {most} items")
    return raw


def _text(raw: Any, what: str, limit: int) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise RejectedError(f"{what} is required", code=100)
    if len(raw) > limit:
        raise RejectedError(f"{what} is longer than {limit} characters")
    return raw


def _only(obj: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = obj.keys() - set(allowed)
    if unknown:
        raise RejectedError(f"unexpected parameter {sorted(unknown)[0]!r}", code=100)


def _unique(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise RejectedError(f"{what} must be unique")


# --- webhook bodies, signed like Meta signs them ---------------------------------------------

SENDER = "5511987654321"
SENDER_NAME = "Maria Souza"
OUR_WAMID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjdBQkMxMjM0NTY3ODkwQUJDAA=="
_METADATA = {"display_phone_number": "551140028922", "phone_number_id": PHONE_NUMBER_ID}
_CONTACT = {"profile": {"name": SENDER_NAME}, "wa_id": SENDER}


def sign(app_secret: str, body: bytes) -> str:
    """`X-Hub-Signature-256` as Meta computes it: HMAC-SHA256 of the raw body, hex."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, app_secret: str = APP_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": sign(app_secret, body)}


def notification(*values: Mapping[str, Any], field: str = "messages") -> dict[str, Any]:
    """A webhook body with one entry holding one change per value."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "value": {"messaging_product": "whatsapp", "metadata": _METADATA, **v},
                        "field": field,
                    }
                    for v in values
                ],
            }
        ],
    }


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _inbound(message: Mapping[str, Any], *, context: bool = True) -> dict[str, Any]:
    extra = {"context": {"from": "551140028922", "id": OUR_WAMID}} if context else {}
    return {"contacts": [_CONTACT], "messages": [{**extra, "from": SENDER, **message}]}


# The payloads of shared/samples/whatsapp/, value by value (same ids, timestamps and fields).
SAMPLES: dict[str, dict[str, Any]] = {
    "text_message": notification(
        _inbound(
            {
                "id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEE2NTk5QUVFMDM4MTAxNDRGAA==",
                "timestamp": "1764072000",
                "type": "text",
                "text": {"body": "oi, recebi uma mensagem de voces"},
            },
            context=False,
        )
    ),
    "button_reply": notification(
        {
            "contacts": [{**_CONTACT, "user_id": "BR.13491208655302741918"}],
            "messages": [
                {
                    "context": {"from": "551140028922", "id": OUR_WAMID},
                    "from": SENDER,
                    "id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFEJVVFRPTjAwMDAwMDAwMDAwMQA=",
                    "timestamp": "1764072060",
                    "type": "interactive",
                    "interactive": {
                        "type": "button_reply",
                        "button_reply": {"id": "plan:6", "title": "6x de R$ 89,90"},
                    },
                }
            ],
        }
    ),
    "list_reply": notification(
        _inbound(
            {
                "id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFExJU1RSRVBMWTAwMDAwMDAxAA==",
                "timestamp": "1764072120",
                "type": "interactive",
                "interactive": {
                    "type": "list_reply",
                    "list_reply": {
                        "id": "channel:pix",
                        "title": "PIX",
                        "description": "Copia e cola ou QR Code",
                    },
                },
            }
        )
    ),
    "template_quick_reply": notification(
        _inbound(
            {
                "id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFFRFTVBMQVRFUkVQTFkwMDAxAA==",
                "timestamp": "1764072180",
                "type": "button",
                "button": {"payload": "start_negotiation", "text": "Quero negociar"},
            }
        )
    ),
    "unsupported_sticker": notification(
        _inbound(
            {
                "id": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFFNUSUNLRVIwMDAwMDAwMDAxAA==",
                "timestamp": "1764072240",
                "type": "sticker",
                "sticker": {
                    "mime_type": "image/webp",
                    "sha256": "Bb5c2Mv3kEUr8xbQW0b9ZZ4pQ6yW0n0l0n8mT0Jm3tQ=",
                    "id": "1228540334591128",
                    "animated": False,
                },
            },
            context=False,
        )
    ),
    "status_sent": notification(
        {
            "statuses": [
                {
                    "id": OUR_WAMID,
                    "status": "sent",
                    "timestamp": "1764072001",
                    "recipient_id": SENDER,
                    "conversation": {
                        "id": "7270432eae37498234f4444b35ffc5",
                        "expiration_timestamp": "1764158400",
                        "origin": {"type": "service"},
                    },
                    "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
                }
            ]
        }
    ),
    "status_read_pmp": notification(
        {
            "statuses": [
                {
                    "id": OUR_WAMID,
                    "status": "read",
                    "timestamp": "1764072030",
                    "recipient_id": SENDER,
                    "pricing": {
                        "billable": False,
                        "pricing_model": "PMP",
                        "category": "service",
                        "type": "free_customer_service",
                    },
                }
            ]
        }
    ),
    "status_failed": notification(
        {
            "statuses": [
                {
                    "id": OUR_WAMID,
                    "status": "failed",
                    "timestamp": "1764072002",
                    "recipient_id": SENDER,
                    "errors": [
                        {
                            "code": 131047,
                            "title": "Re-engagement message",
                            "message": "Re-engagement message",
                            "error_data": {
                                "details": "Message failed to send because more than 24 hours "
                                "have passed since the customer last replied to this number."
                            },
                        }
                    ],
                }
            ]
        }
    ),
    # Meta's `user_preferences` webhook field (marketing messages stop / resume).
    "marketing_stop": notification(
        {
            "contacts": [_CONTACT],
            "user_preferences": [
                {
                    "wa_id": SENDER,
                    "detail": "User requested to stop marketing messages",
                    "category": "marketing_messages",
                    "value": "stop",
                    "timestamp": 1764072300,
                }
            ],
        },
        field="user_preferences",
    ),
    "marketing_resume": notification(
        {
            "contacts": [_CONTACT],
            "user_preferences": [
                {
                    "wa_id": SENDER,
                    "detail": "User requested to resume marketing messages",
                    "category": "marketing_messages",
                    "value": "resume",
                    "timestamp": 1764072360,
                }
            ],
        },
        field="user_preferences",
    ),
}


def sender_numbers(count: int) -> list[str]:
    """`count` distinct Brazilian mobile wa_ids."""
    return [f"55119{80000000 + i:08d}" for i in range(count)]


def text_messages_body(senders: list[str], per_sender: int, first_timestamp: int) -> bytes:
    """One body with `per_sender` texts from each sender, interleaved sender by sender.

    Texts read "<sender index>:<n>" and wamids are unique, so tests can check per-chat order.
    """
    messages = [
        {
            "from": wa_id,
            "id": f"wamid.bulk-{s}-{n}",
            "timestamp": str(first_timestamp + n),
            "type": "text",
            "text": {"body": f"{s}:{n}"},
        }
        for n in range(per_sender)
        for s, wa_id in enumerate(senders)
    ]
    contacts = [{"profile": {"name": f"Cliente {s}"}, "wa_id": w} for s, w in enumerate(senders)]
    return encode(notification({"contacts": contacts, "messages": messages}))
