"""HMAC-SHA256 signatures for the payment webhook, so only the creditor's system can confirm a
payment. The header value is `sha256=<hex>` over the raw request body, like WhatsApp's.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "sign", "verify"]

SIGNATURE_HEADER = "X-Quita-Signature-256"
_PREFIX = "sha256="


def sign(secret: bytes, body: bytes) -> str:
    """The header value for `body`: `sha256=` and the hex HMAC-SHA256 with `secret`."""
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether `header` signs `body` with `secret`; compared in constant time.

    A missing or malformed header is simply not valid: the caller answers 401 either way.
    """
    if not secret or header is None:
        return False
    expected = sign(secret, body).encode("ascii")
    given = header.strip().lower().encode("utf-8", errors="replace")
    return hmac.compare_digest(expected, given)
