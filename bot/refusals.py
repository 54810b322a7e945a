"""What a platform's refusal of a message means, whenever the platform says it.

A platform refuses a message when it is sent (the outbox gets a `SendError`), or accepts it and
reports it `failed` later (the service gets the status). Either way the meaning is the same:
the contact cannot be reached there, opted out, or its messaging window closed (a template
may go instead, see `OutsideWindowHandler`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.channels.base import RefusedMessage, SendErrorKind
from storage import UnitOfWork

OutsideWindowHandler = Callable[[UnitOfWork, RefusedMessage, datetime], Awaitable[str]]
"""Called in the transaction that records the failure when a channel says its messaging window
is closed (WhatsApp 131047, when sending or in a later status); may queue a template instead
and returns a note saying what it did."""


class Refusals:
    """What a refusal means, per channel. One instance serves the outbox (refusals at send
    time) and the service (later statuses), so a channel registers its handlers once."""

    def __init__(self) -> None:
        self._outside_window: dict[str, OutsideWindowHandler] = {}

    def on_outside_window(self, channel: str, handler: OutsideWindowHandler) -> None:
        """What to do when `channel` refuses a message because the window had closed."""
        self._outside_window[channel] = handler

    async def record(
        self,
        tx: UnitOfWork,
        kind: SendErrorKind,
        refused: RefusedMessage,
        reason: str,
        now: datetime,
    ) -> str | None:
        """Note on the contact what the refusal says: unreachable (no proactive message goes
        there until the debtor writes again) or opted out; outside the window, let the
        channel's handler queue a template. Returns the handler's note, if one ran."""
        channel, address = refused.channel, refused.address
        if kind is SendErrorKind.UNREACHABLE:
            await tx.contacts.mark_unreachable(channel, address, reason, now)
        elif kind is SendErrorKind.OPTED_OUT:
            contact = await tx.contacts.by_address(channel, address)
            if contact is not None:
                await tx.contacts.set_opted_out(contact.id, True, now)
        elif kind is SendErrorKind.OUTSIDE_WINDOW:
            handler = self._outside_window.get(channel)
            if handler is not None:
                return await handler(tx, refused, now)
        return None
