"""The Telegram path end to end: real python-telegram-bot against a loopback Bot API.

Updates are queued on the fake Bot API (in a process of its own, as the real one is on other
machines: its CPU is not Quita's), fetched by PTB polling, handled concurrently across chats
(in order within each), committed by the service, and the replies sent back by the outbox
through `TelegramSender`. Latency is from an update being queued to its last reply accepted
by the API ("first reply": to the first one).

Three runs, each by its own debtors:
- DESIGN.md's five-step flow through an in-memory aiogram bot that sends the same replies on
  the same kind of loopback API (`bot.bench.aiogram_reference`): the target, measured here;
- the same five steps through Quita, the figure the target is about;
- the whole conversation through Quita (eight messages, with the PIX QR code).
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.bench.conversations import BENCH_NOW, FIVE_STEPS, seed_debtors, telegram_script
from bot.bench.figures import Figures
from bot.bench.loopback_chats import BatchedPusher, ProgressBoard, run_closed_loop
from bot.bench.service import Delivery
from bot.channels.base import ChannelName, Inbound, OutboundMessage, Sender
from bot.clock import ManualClock
from bot.outbox import ChannelLimits, OutboxWorker
from bot.service import ConversationService
from bot.testing.fake_telegram_process import FakeTelegramProcess
from dialogs.negotiation.policy import Policy, default_policy
from storage import Database, upgrade

WHOLE_CONVERSATION = len(telegram_script(0))


@dataclass
class TelegramFigures:
    five_steps: Figures
    reference: Figures | None  # None: aiogram is not installed
    whole: Figures
    whole_first_reply: Figures

    def runs(self) -> list[Figures]:
        measured = [self.five_steps, self.reference, self.whole, self.whole_first_reply]
        return [figures for figures in measured if figures is not None]


async def _yardstick(
    debtors: int,
    policy: Policy,
    echo: Callable[[str], None],
    pool_size: int,
    report: Callable[[str], None] | None,
) -> Figures | None:
    """DESIGN.md's in-memory aiogram bot on the five steps; None if aiogram is missing."""
    if importlib.util.find_spec("aiogram") is None:
        echo(
            "aiogram is not installed (pip install 'quita[bench]'): "
            "comparing with DESIGN.md's estimate instead of measuring the yardstick"
        )
        return None
    from bot.bench import aiogram_reference  # seconds to import: only when it runs

    return await aiogram_reference.run(debtors, policy, pool_size=pool_size, report=report)


class _CountingSink:
    """The service as the channel's sink, noting how many replies each update queued."""

    def __init__(self, service: ConversationService, board: ProgressBoard) -> None:
        self._service = service
        self._board = board

    async def accept(self, inbound: Inbound) -> None:
        result = await self._service.handle(inbound)
        self._board.handled(inbound.key.address, result.replies)


class _CountingSender:
    """The real `TelegramSender`, noting each delivered reply."""

    channel = ChannelName.TELEGRAM

    def __init__(self, sender: Sender, board: ProgressBoard) -> None:
        self._sender = sender
        self._board = board

    async def send(self, address: str, message: OutboundMessage) -> str:
        message_id = await self._sender.send(address, message)
        self._board.delivered(address)
        return message_id


async def bench_telegram(
    database_url: str | None,
    debtors: int,
    echo: Callable[[str], None],
    progress: Callable[[int], None],
    pool_size: int = 8,
    report: Callable[[str], None] | None = None,
) -> TelegramFigures:
    """Bench the five-step flow through Quita and the aiogram reference, then the whole
    conversation through Quita. `debtors` chat at once in each run.

    Rate limits are lifted: this measures Quita, not Telegram's 30 messages/s.
    """
    from bot.channels.telegram import TelegramChannel

    policy = default_policy()
    board = ProgressBoard()
    five_debtors, whole_debtors = range(debtors), range(debtors, 2 * debtors)
    reference = await _yardstick(debtors, policy, echo, pool_size, report)
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade(url)
        db = Database(url)
        clock = ManualClock(BENCH_NOW)
        service = ConversationService(db, policy, clock)
        async with FakeTelegramProcess() as fake:
            channel = TelegramChannel(
                token=fake.token,
                sink=_CountingSink(service, board),
                base_url=fake.base_url,
                poll_timeout=1,
                clock=clock,
                connection_pool_size=pool_size,
            )
            outbox = OutboxWorker(
                db,
                {"telegram": _CountingSender(channel.sender, board)},
                clock,
                limits={"telegram": ChannelLimits(100_000, 100_000, 100_000)},
                idle_poll_seconds=0.05,
            )
            service.on_commit(outbox.wake)
            try:
                echo(f"seeding {2 * debtors:,} debtors into {db.dialect}…")
                await seed_debtors(db, 2 * debtors, progress)
                await channel.start()
                delivery = Delivery(outbox, during_runs=True)
                pusher = BatchedPusher(fake)
                try:
                    five_steps = await run_closed_loop(
                        "telegram, five steps", pusher, board, five_debtors, FIVE_STEPS, report
                    )
                    board.first_reply_ms.clear()
                    whole = await run_closed_loop(
                        "telegram, whole conversation",
                        pusher,
                        board,
                        whole_debtors,
                        WHOLE_CONVERSATION,
                        report,
                    )
                finally:
                    await delivery.stop()
                    await channel.stop()
            finally:
                await db.dispose()
    first = whole.of_the_same_run("  its first reply", board.first_reply_ms)
    return TelegramFigures(five_steps, reference, whole, first)
