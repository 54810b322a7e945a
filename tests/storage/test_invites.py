"""Invite tokens work once, until they expire, and say why when they do not."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

from storage.database import Database
from storage.enums import InviteOutcome
from tests.storage.helpers import NOW, new_debtor


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def test_a_token_is_redeemed_once_then_reported_used(db: Database) -> None:
    debtor_id = await new_debtor(db)
    async with db.transaction() as tx:
        await tx.invites.create(debtor_id, digest("abc"), NOW + timedelta(days=7), now=NOW)
    async with db.transaction() as tx:
        assert await tx.invites.redeem(digest("abc"), NOW) == (InviteOutcome.OK, debtor_id)
        assert await tx.invites.redeem(digest("abc"), NOW) == (InviteOutcome.USED, None)


async def test_expired_and_unknown_tokens_are_refused(db: Database) -> None:
    debtor_id = await new_debtor(db)
    async with db.transaction() as tx:
        await tx.invites.create(debtor_id, digest("old"), NOW, now=NOW - timedelta(days=7))
        assert await tx.invites.redeem(digest("old"), NOW) == (InviteOutcome.EXPIRED, None)
        assert await tx.invites.redeem(digest("nope"), NOW) == (InviteOutcome.UNKNOWN, None)


async def test_simultaneous_redemptions_have_one_winner(db: Database) -> None:
    debtor_id = await new_debtor(db)
    async with db.transaction() as tx:
        await tx.invites.create(debtor_id, digest("race"), NOW + timedelta(days=1), now=NOW)

    async def redeem() -> InviteOutcome:
        async with db.transaction() as tx:
            outcome, _ = await tx.invites.redeem(digest("race"), NOW)
            return outcome

    outcomes = await asyncio.gather(*(redeem() for _ in range(4)))
    assert sorted(outcomes) == sorted([InviteOutcome.OK] + [InviteOutcome.USED] * 3)
