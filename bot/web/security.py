"""Security headers for every response: a strict CSP with no inline script, and friends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; media-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'"
)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _csp_for(request.path))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if not request.path.startswith("/chat"):
        headers.setdefault("X-Frame-Options", "DENY")
    return response


def _csp_for(path: str) -> str:
    # The web chat may be embedded by the creditor's site as a widget; nothing else may.
    ancestors = "*" if path.startswith("/chat") else "'none'"
    return f"{CSP}; frame-ancestors {ancestors}"
