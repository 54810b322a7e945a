"""The outbox worker: delivers committed messages at least once, in order, within limits.

Each round is one write transaction that records the deliveries finished since the last
round and claims more rows with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED, so several
processes share the work): per chat, a run of its oldest unsent rows, so a chat's two or
three replies to one event leave together, in the order they were committed, and no other
worker touches that chat meanwhile. Chats are delivered concurrently, each chat's run one row
after the other, and a round does not wait for the previous round's slowest chat (a QR code
being drawn, a slow platform): its other chats' rows keep flowing.

Every transaction of the worker goes before the events waiting for the writer (SQLite) or a
connection (PostgreSQL): `Database.transaction(urgent=True)`. Under overload a round would
otherwise wait behind every queued event, and committed replies would sit for seconds while
new events commit more.

Failures are classified by the channel's `SendError` and retried with exponential backoff
and full jitter, or after the platform's `retry_after`; permanent failures are recorded with
their reason and never retried. Either way the rest of that chat's run is handed back untried
(the claim does not count as an attempt), so nothing overtakes the failed row.

A rate-limited channel has at most about a second of its rate in flight, so claimed rows
never wait in the limiter for long: the lease outlives them. Its global rate is shared by
every process through the database: a round claims only as many of its rows as the
channel's shared budget (`OutboxQueue.budget`, a token bucket in a row) has tokens for, so
several `quita run` processes together stay within the platform's limit. Each process's own
bucket then spreads its rows over the second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from bot.channels.base import RefusedMessage, Sender, SendError, SendErrorKind
from bot.clock import Clock, SystemClock
from bot.outbound_codec import load
from bot.outbound_media import materialize
from bot.rate_limit import PerKeyBuckets, TokenBucket
from bot.refusals import Refusals
from storage import Database, GroupRolledBackError, OutboxRow, UnitOfWork

log = logging.getLogger(__name__)


ROUND_SECONDS = 1.0
"""At most this many seconds of a rate-limited channel's sending are in flight at a time."""

ROUNDS_IN_FLIGHT = 4
"""Rounds' worth of rows (`batch_size` each) a channel may have in flight: enough that a few
slow deliveries (a QR code being drawn, a slow platform) do not stop the others."""

RUN_SHARE_OF_LEASE = 0.25
"""A chat's later rows are sent only within this share of the lease after the claim; the
rest is handed back. So a run paced by the per-chat limit ends, and what it sent is
recorded, long before the lease could run out and let another claim send it again."""


@dataclass(frozen=True, slots=True)
class ChannelLimits:
    """`shared`: the rate is the platform's, for the bot as a whole, so every process's
    outbox takes from one budget in the database; False for a limit each process keeps on
    its own (the web chat's, whose sockets live in the process that sends to them)."""

    rate_per_second: float
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0
    shared: bool = True


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
        batch_size: int = 500,
        run_length: int = 10,
        lease_seconds: float = 60.0,
        idle_poll_seconds: float = 1.0,
        linger_seconds: float = 0.01,
        rng: random.Random | None = None,
        refusals: Refusals | None = None,
        pace_clock: Clock | None = None,
    ) -> None:
        """`batch_size`: rows of one channel claimed per round (one write transaction);
        `run_length`: rows of one chat per claim (also at most the channel's per-chat burst,
        so a run is not paced); `refusals`: what a channel's refusal means (shared with the
        service, which hears of later refusals); `pace_clock`: real time for the shared
        rate budgets (`clock` may be a test's or the bench's fixed business time)."""
        self._db = db
        self._senders = dict(senders)
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._batch_size = batch_size
        self._run_length = run_length
        self._lease_seconds = lease_seconds
        # How far before its lease's end a chat's run stops (checked before each later row):
        # computed once, not per row (a timedelta from float seconds is costly to build).
        lease = timedelta(seconds=lease_seconds)
        self._run_stops_before_lease_end = lease - lease * RUN_SHARE_OF_LEASE
        self._idle_poll = idle_poll_seconds
        # After waking from idle, wait this long so the commits of the next few milliseconds
        # join the same round: under load one claim then serves many chats, at the price of
        # ~10 ms on a reply's way out (nobody notices that in a chat).
        self._linger = linger_seconds
        self._rng = rng or random.Random()
        self._wakeup = asyncio.Event()  # rows were committed, or a run finished
        self._finished = asyncio.Event()  # a run finished: results to record, room to claim
        self._limits = dict(limits or {})
        self._global = {
            name: TokenBucket(limit.rate_per_second, max(1.0, limit.rate_per_second))
            for name, limit in self._limits.items()
        }
        self._per_chat = {
            name: PerKeyBuckets(limit.per_chat_rate, limit.per_chat_burst)
            for name, limit in self._limits.items()
        }
        self._pace_clock = pace_clock or SystemClock()
        self._budget_refills: dict[str, float] = {}  # channel → loop time of its next token
        self.delivered = 0
        self.refusals = refusals or Refusals()
        self._unrecorded: list[tuple[OutboxRow, str]] = []  # sent, not yet marked sent
        self._handed_back: list[OutboxRow] = []  # claimed, not tried, not yet released
        self._in_flight: dict[str, int] = {}  # claimed rows not yet settled, per channel
        self._runs: set[asyncio.Task[None]] = set()

    def add_sender(self, name: str, sender: Sender) -> None:
        self._senders[name] = sender

    def channels(self) -> frozenset[str]:
        """The channels this worker can send on now (the cadence only targets these)."""
        return frozenset(self._senders)

    def wake(self) -> None:
        """Called after a commit that queued messages, so delivery starts at once."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event, *, flush_seconds: float = 5.0) -> None:
        """Deliver until `stop` is set, then flush what is due (for at most `flush_seconds`)
        so a graceful shutdown does not leave committed replies waiting for the next start."""
        try:
            while not stop.is_set():
                try:
                    _, more = await self._round()
                    if more:
                        await asyncio.sleep(0)  # let the runs just started (and the rest) go
                    else:
                        await self._sleep_until_work(stop)
                        if self._linger and not stop.is_set():
                            await asyncio.sleep(self._linger)
                except Exception:
                    log.exception("outbox pass failed; retrying shortly")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self._idle_poll)
            await self._flush(flush_seconds)
        finally:
            await self._abandon_runs()

    async def drain_once(self) -> int:
        """One round, waited out: record, claim, deliver. Returns the rows claimed; 0 means
        nothing was due, and every delivery so far is recorded."""
        claimed, _ = await self._round()
        await self._settle()
        return claimed

    async def _flush(self, flush_seconds: float) -> None:
        try:
            async with asyncio.timeout(flush_seconds):
                await self._settle()
                while await self.drain_once():
                    pass
        except TimeoutError:
            log.warning("outbox: shutdown flush cut short; the rest goes out on the next start")
            await self._abandon_runs()
            try:  # what did go out must not go out again
                async with asyncio.timeout(flush_seconds):
                    await self._round(claim=False)
            except TimeoutError:
                log.warning("outbox: the last deliveries were not recorded; they may repeat")

    async def _abandon_runs(self) -> None:
        """Stop deliveries still running; their rows go out again once their lease ends."""
        for task in self._runs:
            task.cancel()
        await asyncio.gather(*self._runs, return_exceptions=True)

    async def _settle(self) -> None:
        """Wait until every claimed row was delivered, failed or handed back."""
        while self._runs:
            await asyncio.wait(set(self._runs))

    async def _sleep_until_work(self, stop: asyncio.Event) -> None:
        """Until rows are committed or become due, or a run finishes (with every channel at
        its in-flight limit, only that or `stop` can make a new claim worth it)."""
        self._wakeup.clear()
        self._finished.clear()
        if self._unrecorded or self._handed_back:
            return  # runs finished while the last round was waiting for its transaction
        waiting = [self._finished.wait(), stop.wait()]
        wait_for: float | None = None
        loop_now = asyncio.get_running_loop().time()
        channels = [channel for channel in self._senders if self._room(channel)]
        # A channel whose shared budget ran out waits for its next token, not for commits.
        ready = [c for c in channels if self._budget_refills.get(c, loop_now) <= loop_now]
        if ready:
            waiting.append(self._wakeup.wait())
            wait_for = self._idle_poll
            next_due = await self._next_due(ready)
            if next_due is not None:
                wait_for = max(0.0, min(wait_for, (next_due - self._clock.now()).total_seconds()))
        for channel in channels:
            if (refill := self._budget_refills.get(channel, loop_now)) > loop_now:
                until_refill = refill - loop_now
                wait_for = until_refill if wait_for is None else min(wait_for, until_refill)
        waiters = [asyncio.ensure_future(waiter) for waiter in waiting]
        try:
            await asyncio.wait(waiters, timeout=wait_for, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    async def _next_due(self, channels: Sequence[str]) -> datetime | None:
        async with self._db.transaction(write=False, urgent=True) as tx:
            return await tx.outbox.next_due_at(channels)

    async def _round(self, *, claim: bool = True, retryable: bool = True) -> tuple[int, bool]:
        """Record the deliveries finished so far, hand back the rows runs left untried, and
        claim what there is room for — one write transaction — then start delivering.
        Returns the rows claimed, and whether a channel's claim was cut at its room (so more
        rows may be waiting). `retryable`: the transaction needs no savepoint of its own,
        since the round runs again if its commit group is rolled back."""
        rooms = {channel: self._room(channel) for channel in self._senders} if claim else {}
        rooms = {channel: room for channel, room in rooms.items() if room}
        sent, self._unrecorded = self._unrecorded, []
        back, self._handed_back = self._handed_back, []
        if not sent and not back and not rooms:
            return 0, False
        now = self._clock.now()
        claimed: list[OutboxRow] = []
        more = False
        try:
            async with self._db.transaction(write=True, retryable=retryable, urgent=True) as tx:
                if sent:
                    await tx.outbox.mark_sent_many(sent, now)
                await tx.outbox.release(back)
                for channel, room in rooms.items():
                    rows, cut = await self._claim(tx, channel, room, now)
                    more = more or (len(rows) == room and not cut)
                    claimed += rows
        except GroupRolledBackError:
            # Another writer of its commit group failed: nothing of this round was stored.
            self._unrecorded[:0] = sent
            self._handed_back[:0] = back
            return await self._round(claim=claim, retryable=False)
        except Exception:
            self._handed_back[:0] = back
            if not sent:
                raise
            # Perhaps one delivery's record was refused: record them one by one, and if that
            # worked, run the round again without them (else the database is down: raise).
            if not await self._record_each(sent, now):
                raise
            return await self._round(claim=claim)
        except BaseException:
            self._unrecorded[:0] = sent  # not recorded: the next round tries again
            self._handed_back[:0] = back
            raise
        self.delivered += len(sent)
        claimed.sort(key=lambda row: (row.conversation_id, row.id))
        for _, run in groupby(claimed, key=lambda row: row.conversation_id):
            self._start(list(run))
        return len(claimed), more

    async def _claim(
        self, tx: UnitOfWork, channel: str, room: int, now: datetime
    ) -> tuple[list[OutboxRow], bool]:
        """Claim up to `room` rows of `channel`, and no more than its shared budget allows
        (rate-limited channels); also whether the budget cut the claim short."""
        limit = self._limits.get(channel)
        if limit is None or not limit.shared:
            return await self._claim_rows(tx, channel, room, now), False
        budget = await tx.outbox.budget(
            channel, limit.rate_per_second, self._global[channel].burst, self._pace_clock.now()
        )
        allowed = min(room, int(budget.available))
        rows = await self._claim_rows(tx, channel, allowed, now) if allowed else []
        await tx.outbox.spend(budget, len(rows))
        cut = allowed < room and len(rows) == allowed
        left = budget.available - len(rows)
        if cut and left < 1:  # woken when the next token is due, not by every commit
            wait = (1 - left) / limit.rate_per_second
            self._budget_refills[channel] = asyncio.get_running_loop().time() + wait
        else:
            self._budget_refills.pop(channel, None)
        return rows, cut

    async def _claim_rows(
        self, tx: UnitOfWork, channel: str, count: int, now: datetime
    ) -> list[OutboxRow]:
        return await tx.outbox.claim(
            count, self._lease_seconds, now, channel=channel, per_chat=self._run(channel)
        )

    async def _record_each(self, sent: list[tuple[OutboxRow, str]], now: datetime) -> bool:
        """Record deliveries one by one after a round's transaction failed.

        A platform message id the database refuses (one it has seen before) would otherwise
        fail every round and stall the worker, and the rows would go out again when their
        lease ends. Such a row is recorded as sent without the id (the message did go out;
        only later status updates for it are lost). Rows that still cannot be recorded (the
        database is down) wait for the next round; False if there were any.
        """
        recorded_all = True
        for row, platform_id in sent:
            for kept_id in (platform_id, None):
                try:
                    async with self._db.transaction(write=True, urgent=True) as tx:
                        await tx.outbox.mark_sent_many([(row, kept_id)], now)
                except Exception as error:
                    log.info("outbox row %s: recording failed (%s)", row.id, type(error).__name__)
                    continue
                self.delivered += 1
                if kept_id is None:
                    log.warning("outbox row %s: sent; its platform id was refused", row.id)
                break
            else:
                self._unrecorded.append((row, platform_id))
                recorded_all = False
        return recorded_all

    def _start(self, run: list[OutboxRow]) -> None:
        channel = run[0].channel
        self._in_flight[channel] = self._in_flight.get(channel, 0) + len(run)
        task = asyncio.create_task(self._deliver_run(run))
        self._runs.add(task)
        task.add_done_callback(self._runs.discard)

    def _room(self, channel: str) -> int:
        """Rows of `channel` to claim now: at most `batch_size`, and no more in flight than
        `ROUNDS_IN_FLIGHT` batches or, on a rate-limited channel, a second of its rate.
        0 until half a batch is free again: every claim reads the whole backlog to find the
        chats' oldest rows, so claiming a few rows each time one run ends would cost that
        read per run."""
        most = self._batch_size * ROUNDS_IN_FLIGHT
        if (limit := self._limits.get(channel)) is not None:
            most = max(1, min(most, int(limit.rate_per_second * ROUND_SECONDS)))
        room = min(self._batch_size, most - self._in_flight.get(channel, 0))
        return room if room >= min(self._batch_size, most) / 2 else 0

    def _run(self, channel: str) -> int:
        """Rows of one chat per claim: a run the per-chat limit lets out at once."""
        limit = self._limits.get(channel)
        if limit is None:
            return self._run_length
        return max(1, min(self._run_length, int(limit.per_chat_burst)))

    async def _deliver_run(self, run: Sequence[OutboxRow]) -> None:
        """Send one chat's rows in order. After a failure the rest of them are handed back at
        once; when the run is taking too long, at the next round."""
        try:
            for place, row in enumerate(run):
                if place and not self._within_run_time(row):
                    self._handed_back += run[place:]
                    return
                channel_message_id = await self._deliver(row, run[place + 1 :])
                if channel_message_id is None:
                    return
                self._unrecorded.append((row, channel_message_id))
        except Exception:  # recording a failure failed: the lease brings the rows back
            log.exception("outbox: delivering a chat's rows failed")
        finally:
            self._in_flight[run[0].channel] -= len(run)
            self._finished.set()
            self._wakeup.set()

    def _within_run_time(self, row: OutboxRow) -> bool:
        """Still within `RUN_SHARE_OF_LEASE` of the lease after the claim."""
        if row.claimed_until is None:
            return True
        return self._clock.now() < row.claimed_until - self._run_stops_before_lease_end

    def _lease_over(self, row: OutboxRow) -> bool:
        return row.claimed_until is not None and self._clock.now() >= row.claimed_until

    async def _deliver(self, row: OutboxRow, held_back: Sequence[OutboxRow]) -> str | None:
        """Send one row; the platform's message id, or None when it failed (and was recorded,
        with `held_back` released in the same transaction) or its lease ran out."""
        sender = self._senders[row.channel]
        # A token is usually there: taken at once, and only a wait needs a coroutine.
        now = asyncio.get_running_loop().time()
        if (bucket := self._global.get(row.channel)) is not None and not bucket.try_take(now):
            await bucket.acquire()
            now = asyncio.get_running_loop().time()
        if (per_chat := self._per_chat.get(row.channel)) is not None and not per_chat.try_take(
            row.address, now
        ):
            await per_chat.acquire(row.address)
        try:
            message = await materialize(load(row.payload))
            if self._lease_over(row):
                # Waited so long another claim may own the row now: it goes out from there.
                log.warning("outbox row %s: lease ran out before sending; not sent here", row.id)
                return None
            return await sender.send(row.address, message)
        except SendError as error:
            await self._handle_error(row, error, held_back)
        except Exception as error:  # a sender bug must not stop the worker
            log.exception("outbox row %s: unexpected sender error", row.id)
            await self._handle_error(
                row, SendError(SendErrorKind.RETRY, type(error).__name__), held_back
            )
        return None

    async def _handle_error(
        self, row: OutboxRow, error: SendError, held_back: Sequence[OutboxRow]
    ) -> None:
        attempts = row.attempts  # claiming counted this try already
        kind = error.kind
        release = list(held_back)
        if kind in (SendErrorKind.RETRY, SendErrorKind.RETRY_AFTER):
            if attempts >= self._retry.max_attempts:
                async with self._db.transaction(write=True, urgent=True) as tx:
                    await self._fail(tx, row, f"gave up after {attempts} attempts: {error.reason}")
                    await tx.outbox.release(release)
                return
            delay = (
                error.retry_after
                if kind is SendErrorKind.RETRY_AFTER and error.retry_after is not None
                else self._retry.backoff(attempts, self._rng)
            )
            log.warning("outbox row %s: %s, retry in %.2fs", row.id, kind.value, delay)
            async with self._db.transaction(write=True, urgent=True) as tx:
                retry_at = self._clock.now() + timedelta(seconds=delay)
                if not await tx.outbox.mark_retry(row, error.reason, retry_at):
                    log.warning("outbox row %s: lease lost, left to its new claimer", row.id)
                await tx.outbox.release(release)
            self.wake()
            return
        reason = f"{kind.value}: {error.reason}"
        refused = RefusedMessage(row.conversation_id, row.channel, row.address, load(row.payload))
        async with self._db.transaction(write=True, urgent=True) as tx:
            now = self._clock.now()
            note = await self.refusals.record(tx, kind, refused, error.reason, now)
            if note is not None:
                reason = f"{reason}; {note}"
            await self._fail(tx, row, reason)
            await tx.outbox.release(release)
        if kind is SendErrorKind.OUTSIDE_WINDOW:
            self.wake()  # a template may have been queued in its place

    async def _fail(self, tx: UnitOfWork, row: OutboxRow, reason: str) -> None:
        if await tx.outbox.mark_failed(row, reason):
            log.warning("outbox row %s failed for good: %s", row.id, reason)
        else:
            log.warning("outbox row %s: lease lost, left to its new claimer", row.id)
