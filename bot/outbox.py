"""The outbox worker: delivers committed messages at least once, in order, within limits.

Rows are claimed with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED, so several processes share
the work), at most one row per conversation at a time, so a chat's messages leave in the order
they were committed. Failures are classified by the channel's `SendError` and retried with
exponential backoff and full jitter, or after the platform's `retry_after`; permanent failures
are recorded with their reason and never retried.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.channels.base import Sender, SendError, SendErrorKind
from bot.clock import Clock
from bot.outbound_codec import load
from bot.outbound_media import materialize
from bot.rate_limit import PerKeyBuckets, TokenBucket
from storage import Database, OutboxRow, UnitOfWork

log = logging.getLogger(__name__)


OutsideWindowHandler = Callable[[UnitOfWork, OutboxRow, datetime], Awaitable[str]]
"""Called in the failing row's transaction when a channel says its messaging window is closed
(WhatsApp 131047); may queue a template instead and returns a note for the failure reason."""


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    rate_per_second: float
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 1.0
    cap_seconds: float = 300.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(cap, base·2^attempt)] — spreads retries out."""
        return rng.uniform(0, min(self.cap_seconds, self.base_seconds * 2**attempt))


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        clock: Clock,
        *,
        limits: Mapping[str, ChannelLimits] | None = None,
        retry: RetryPolicy | None = None,
        batch_size: int = 100,
        lease_seconds: float = 60.0,
        idle_poll_seconds: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._senders = dict(senders)
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._batch_size = batch_size
        self._lease_seconds = lease_seconds
        self._idle_poll = idle_poll_seconds
        self._rng = rng or random.Random()
        self._wakeup = asyncio.Event()
        limits = limits or {}
        self._global = {
            name: TokenBucket(limit.rate_per_second, max(1.0, limit.rate_per_second))
            for name, limit in limits.items()
        }
        self._per_chat = {
            name: PerKeyBuckets(limit.per_chat_rate, limit.per_chat_burst)
            for name, limit in limits.items()
        }
        self.delivered = 0
        self._outside_window: dict[str, OutsideWindowHandler] = {}

    def add_sender(self, name: str, sender: Sender) -> None:
        self._senders[name] = sender

    def channels(self) -> frozenset[str]:
        """The channels this worker can send on now (the cadence only targets these)."""
        return frozenset(self._senders)

    def on_outside_window(self, name: str, handler: OutsideWindowHandler) -> None:
        """What to do when channel `name` refuses a free-form message outside its window."""
        self._outside_window[name] = handler

    def wake(self) -> None:
        """Called after a commit that queued messages, so delivery starts at once."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event, *, flush_seconds: float = 5.0) -> None:
        """Deliver until `stop` is set, then flush what is due (for at most `flush_seconds`)
        so a graceful shutdown does not leave committed replies waiting for the next start."""
        while not stop.is_set():
            try:
                handled = await self.drain_once()
            except Exception:
                log.exception("outbox pass failed; retrying shortly")
                handled = 0
            if handled == 0:
                await self._sleep_until_work(stop)
        try:
            async with asyncio.timeout(flush_seconds):
                while await self.drain_once():
                    pass
        except TimeoutError:
            log.warning("outbox: shutdown flush cut short; the rest goes out on the next start")

    async def _sleep_until_work(self, stop: asyncio.Event) -> None:
        self._wakeup.clear()
        wait_for = self._idle_poll
        next_due = await self._next_due()
        if next_due is not None:
            wait_for = max(0.0, min(wait_for, (next_due - self._clock.now()).total_seconds()))
        waiters = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=wait_for, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    async def _next_due(self) -> datetime | None:
        async with self._db.transaction() as tx:
            return await tx.outbox.next_due_at()

    async def drain_once(self) -> int:
        """Claim a batch (one row per chat), deliver it concurrently across chats, then record
        every success in one transaction (failures are recorded as they happen)."""
        now = self._clock.now()
        async with self._db.transaction(write=True) as tx:
            rows = await tx.outbox.claim(self._batch_size, self._lease_seconds, now)
        if not rows:
            return 0
        outcomes = await asyncio.gather(*(self._deliver(row) for row in rows))
        sent = [(row, cmid) for row, cmid in zip(rows, outcomes, strict=True) if cmid is not None]
        if sent:
            sent_at = self._clock.now()
            async with self._db.transaction(write=True) as tx:
                await tx.outbox.mark_sent_many(sent, sent_at)
            self.delivered += len(sent)
        return len(rows)

    async def _deliver(self, row: OutboxRow) -> str | None:
        """Send one row; the platform's message id, or None when it failed (and was recorded)."""
        sender = self._senders.get(row.channel)
        if sender is None:
            await self._fail(row, f"channel {row.channel} is not configured")
            return None
        if (bucket := self._global.get(row.channel)) is not None:
            await bucket.acquire()
        if (per_chat := self._per_chat.get(row.channel)) is not None:
            await per_chat.acquire(row.address)
        try:
            message = await materialize(load(row.payload))
            return await sender.send(row.address, message)
        except SendError as error:
            await self._handle_error(row, error)
        except Exception as error:  # a sender bug must not stop the worker
            log.exception("outbox row %s: unexpected sender error", row.id)
            await self._handle_error(row, SendError(SendErrorKind.RETRY, type(error).__name__))
        return None

    async def _handle_error(self, row: OutboxRow, error: SendError) -> None:
        attempts = row.attempts  # claiming counted this try already
        kind = error.kind
        if kind in (SendErrorKind.RETRY, SendErrorKind.RETRY_AFTER):
            if attempts >= self._retry.max_attempts:
                await self._fail(row, f"gave up after {attempts} attempts: {error.reason}")
                return
            delay = (
                error.retry_after
                if kind is SendErrorKind.RETRY_AFTER and error.retry_after is not None
                else self._retry.backoff(attempts, self._rng)
            )
            log.warning("outbox row %s: %s, retry in %.2fs", row.id, kind.value, delay)
            async with self._db.transaction(write=True) as tx:
                await tx.outbox.mark_retry(
                    row.id, error.reason, self._clock.now() + timedelta(seconds=delay)
                )
            self.wake()
            return
        reason = f"{kind.value}: {error.reason}"
        async with self._db.transaction(write=True) as tx:
            if kind is SendErrorKind.OUTSIDE_WINDOW and row.channel in self._outside_window:
                note = await self._outside_window[row.channel](tx, row, self._clock.now())
                reason = f"{reason}; {note}"
            if kind is SendErrorKind.UNREACHABLE:
                await tx.contacts.mark_unreachable(
                    row.channel, row.address, error.reason, self._clock.now()
                )
            elif kind is SendErrorKind.OPTED_OUT:
                contact = await tx.contacts.by_address(row.channel, row.address)
                if contact is not None:
                    await tx.contacts.set_opted_out(contact.id, True, self._clock.now())
        await self._fail(row, reason)
        if kind is SendErrorKind.OUTSIDE_WINDOW:
            self.wake()  # a template may have been queued in its place

    async def _fail(self, row: OutboxRow, reason: str) -> None:
        log.warning("outbox row %s failed for good: %s", row.id, reason)
        async with self._db.transaction(write=True) as tx:
            await tx.outbox.mark_failed(row.id, reason)
            if row.message_id is not None:
                await tx.messages.mark_failed(row.message_id, reason)
