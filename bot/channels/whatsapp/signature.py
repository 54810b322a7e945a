"""Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`.

Checked on the raw bytes before any parsing, in constant time, so a forged or replayed-with-
changes body never reaches the JSON decoder.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta would send for `body`."""
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def signature_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """True when `header` is Meta's signature of `body` with `app_secret`."""
    if not header or not header.startswith(_PREFIX):
        return False
    expected = sign(app_secret, body)
    return hmac.compare_digest(expected.encode(), header.strip().lower().encode())
