"""What a failed Graph API call means for the outbox, decided on Meta's `error.code`.

Meta often answers rate limits and window errors with HTTP 400, so the HTTP status alone
would turn retryable failures into permanent ones; the code in the body decides first.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.channels.base import SendError, SendErrorKind

RETRY_CODES = frozenset(
    {
        130429,  # throughput limit of the business number
        131056,  # pair rate limit: too many messages to the same user
        80007,  # WhatsApp Business Account rate limit
        1,  # API unknown error (Meta: temporary, retry)
        2,  # API service temporarily unavailable
        131000,  # "Something went wrong", Meta advises retrying
    }
)
KIND_BY_CODE: Mapping[int, SendErrorKind] = {
    131047: SendErrorKind.OUTSIDE_WINDOW,  # more than 24 h since the user's last message
    131026: SendErrorKind.UNREACHABLE,  # not on WhatsApp / old app / cannot receive
    131050: SendErrorKind.OPTED_OUT,  # the user stopped marketing messages
}


def classify_error(
    http_status: int, body: object, retry_after_header: str | None = None
) -> SendError:
    """A `SendError` for a non-2xx Graph API answer; the reason never carries personal data."""
    error = body.get("error") if isinstance(body, Mapping) else None
    code = error.get("code") if isinstance(error, Mapping) else None
    reason = f"graph api http {http_status}" + (f", error {code}" if code is not None else "")
    if isinstance(code, int):
        if code in RETRY_CODES:
            return SendError(SendErrorKind.RETRY, reason, retry_after=_seconds(retry_after_header))
        if code in KIND_BY_CODE:
            return SendError(KIND_BY_CODE[code], reason)
    if http_status >= 500 or http_status == 429:
        return SendError(SendErrorKind.RETRY, reason, retry_after=_seconds(retry_after_header))
    return SendError(SendErrorKind.PERMANENT, reason)


def _seconds(header: str | None) -> float | None:
    if header is None:
        return None
    try:
        seconds = float(header)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
