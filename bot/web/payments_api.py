"""`POST /api/payments`: the creditor's payment system tells Quita an installment was paid.

The body is authenticated before it is parsed (HMAC-SHA256 with PAYMENTS_WEBHOOK_SECRET in
`X-Quita-Signature-256: sha256=<hex>`); anything unsigned, oversized or malformed gets a
clear JSON error and records nothing. A valid notice goes through the conversation service,
so the payment, the agreement and the debtor's thank-you commit together.

    {"txid": "Q00000001N001", "amount": "418.80",
     "paid_at": "2026-12-05T14:30:00-03:00", "external_id": "E2E-123"}

or `"agreement_id": 1, "installment": 1` instead of `txid`. Answers 200 with
`{"status": "recorded" | "duplicate", "flagged": …, …}`.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal

from aiohttp import web

from bot.app import Quita
from bot.clock import Clock
from bot.payments.confirmation import (
    NoticeError,
    UnknownInstallmentError,
    confirm_notice,
    parse_notice,
)
from bot.payments.signature import SIGNATURE_HEADER, verify
from bot.service import ConversationService

log = logging.getLogger(__name__)

PATH = "/api/payments"
MAX_BODY_BYTES = 16 * 1024  # a notice is a few hundred bytes


def _error(status: int, code: str, message: str, **extra: object) -> web.Response:
    return web.json_response({"error": code, "message": message, **extra}, status=status)


class PaymentsApi:
    def __init__(self, service: ConversationService, secret: bytes, clock: Clock) -> None:
        if not secret:
            raise ValueError("the payments webhook needs a secret")
        self._service = service
        self._secret = secret
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        return [web.post(PATH, self.post)]

    async def post(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _error(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
        body = await request.content.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "too_large", f"body over {MAX_BODY_BYTES} bytes")
        if not verify(self._secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("payment webhook: bad or missing signature")
            return _error(401, "bad_signature", f"{SIGNATURE_HEADER} does not sign this body")
        try:
            data = json.loads(body, parse_float=Decimal)
        except (ValueError, RecursionError):
            return _error(400, "malformed", "body is not JSON")
        if not isinstance(data, dict):
            return _error(400, "malformed", "body must be a JSON object")
        try:
            notice = parse_notice(data, now=self._clock.now())
        except NoticeError as error:
            return _error(400, "invalid", error.message, field=error.field)
        try:
            result = await confirm_notice(self._service, notice, "webhook")
        except UnknownInstallmentError as error:
            return _error(404, "unknown_installment", error.message, field=error.field)
        log.info(
            "payment webhook: %s agreement=%s installment=%s flagged=%s",
            result.status,
            result.agreement_id,
            result.installment,
            result.flagged,
        )
        return web.json_response(result.as_json())


def attach_payments(quita: Quita) -> None:
    """Mount `POST /api/payments` when PAYMENTS_WEBHOOK_SECRET is set (else it stays off)."""
    secret = quita.settings.payments_webhook_secret
    if secret is None or not secret.get_secret_value():
        log.info("payments API off: set PAYMENTS_WEBHOOK_SECRET to accept payment notices")
        return
    api = PaymentsApi(quita.service, secret.get_secret_value().encode("utf-8"), quita.clock)
    quita.web_app.add_routes(api.routes())
