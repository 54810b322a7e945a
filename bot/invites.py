"""Single-use, expiring invite tokens for deep links (Telegram) and web chat links.

Only the SHA-256 of a token is stored; the token itself lives in the link the creditor sends.
Tokens use the Telegram deep-link alphabet (A–Z a–z 0–9 _ -) and stay under 64 characters.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from storage import UnitOfWork

DEFAULT_TTL = timedelta(days=30)


def hash_token(token: str) -> str:
    """What storage keeps of a token: its SHA-256 hex (the raw token only lives in the link)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 32 characters of A–Z a–z 0–9 _ -


async def create_invite(
    tx: UnitOfWork, debtor_id: int, now: datetime, ttl: timedelta = DEFAULT_TTL
) -> str:
    token = new_token()
    await tx.invites.create(debtor_id, hash_token(token), now + ttl, now=now)
    return token


def webchat_link(public_url: str, token: str) -> str:
    return f"{public_url}/chat?t={token}"


def telegram_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"
