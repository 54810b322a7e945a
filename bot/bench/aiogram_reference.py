"""DESIGN.md's yardstick for the Telegram path: an in-memory aiogram FSM bot.

DESIGN.md asks the Telegram path for at least the updates/s of "an in-memory aiogram FSM bot
doing the same five-step flow". This is that bot, driven by the same simulated debtors
against the same kind of loopback Bot API (in its own process), so the two figures compare
like for like:
- aiogram as its documentation shows it: long polling, a `Dispatcher` with `MemoryStorage`,
  one FSM state per step and a handler per state, replies through `message.answer`;
- the replies are Quita's own for that debtor and step (same texts, same buttons), rendered
  before the run. The reference does none of Quita's dialog work and stores nothing, so it
  is an upper bound for a bot that does.

aiogram is an optional dependency (`pip install 'quita[bench]'`, part of the dev set), and
takes seconds to import: `bot.bench.telegram` imports this module only to run it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import InlineKeyboardMarkup, Message

from bot.bench.conversations import FIVE_STEPS, InMemoryDebtor, script_for
from bot.bench.figures import Figures
from bot.bench.loopback_chats import (
    TELEGRAM_CHAT_BASE,
    BatchedPusher,
    LoopbackBotApi,
    ProgressBoard,
    run_closed_loop,
)
from bot.channels.base import OutboundMessage
from bot.channels.telegram.rendering import inline_keyboard, text_parts
from bot.testing.fake_telegram_process import FakeTelegramProcess
from dialogs.negotiation.policy import Policy

__all__ = ["PreparedReply", "Step", "replies_for", "run", "run_against"]


@dataclass(frozen=True, slots=True)
class PreparedReply:
    """One `sendMessage`, as `TelegramSender` would make it."""

    text: str
    parse_mode: str | None
    keyboard: InlineKeyboardMarkup | None


class Step(StatesGroup):
    """Where a debtor is: each state waits for the next of the five messages."""

    verifying = State()
    choosing = State()
    planning = State()
    confirming = State()
    closed = State()


_AFTER_STEP = (Step.verifying, Step.choosing, Step.planning, Step.confirming, Step.closed)


def _as_aiogram(message: OutboundMessage) -> list[PreparedReply]:
    """What `TelegramSender` sends for `message` (text only: no QR in the five steps)."""
    markup = inline_keyboard(message.buttons)
    keyboard = InlineKeyboardMarkup.model_validate(markup.to_dict()) if markup else None
    return [
        PreparedReply(part.text, part.parse_mode, keyboard if part.keyboard else None)
        for part in text_parts(message.text, markup, copy_code=message.copy_code)
    ]


def replies_for(debtors: range, policy: Policy) -> dict[int, list[list[PreparedReply]]]:
    """Per chat id, per step: the replies Quita's dialog gives that debtor."""
    answers: dict[int, list[list[PreparedReply]]] = {}
    for n in debtors:
        debtor = InMemoryDebtor(n, policy)
        answers[TELEGRAM_CHAT_BASE + n] = [
            [reply for message in debtor.answer(event) for reply in _as_aiogram(message)]
            for event in script_for(n)[:FIVE_STEPS]
        ]
    return answers


def _router(answers: dict[int, list[list[PreparedReply]]], board: ProgressBoard) -> Router:
    """A handler per state; each moves on to the next state and answers."""
    router = Router(name="quita-yardstick")

    def handler(step: int) -> Callable[[Message, FSMContext], Awaitable[None]]:
        async def answer(message: Message, state: FSMContext) -> None:
            address = str(message.chat.id)
            replies = answers[message.chat.id][step]
            board.handled(address, len(replies))
            await state.set_state(_AFTER_STEP[step])
            for reply in replies:
                await message.answer(
                    reply.text, parse_mode=reply.parse_mode, reply_markup=reply.keyboard
                )
                board.delivered(address)

        return answer

    router.message(CommandStart())(handler(0))
    for step, waiting_in in enumerate(_AFTER_STEP[: FIVE_STEPS - 1], start=1):
        router.message(waiting_in, F.text)(handler(step))
    return router


@contextlib.contextmanager
def _quiet_aiogram() -> Iterator[None]:
    """aiogram logs every update at INFO; that is not the work being compared."""
    logger = logging.getLogger("aiogram")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


async def run(
    debtors: int,
    policy: Policy,
    *,
    pool_size: int = 8,
    report: Callable[[str], None] | None = None,
) -> Figures:
    """The five-step flow for `debtors` chatting at once (closed loop)."""
    async with FakeTelegramProcess() as fake:
        return await run_against(fake, debtors, policy, pool_size=pool_size, report=report)


async def run_against(
    api: LoopbackBotApi,
    debtors: int,
    policy: Policy,
    *,
    pool_size: int = 8,
    report: Callable[[str], None] | None = None,
) -> Figures:
    """The closed loop of `run` on a loopback Bot API that is already up."""
    board = ProgressBoard()
    answers = replies_for(range(debtors), policy)
    session = AiohttpSession(
        api=TelegramAPIServer.from_base(f"http://127.0.0.1:{api.port}"), limit=pool_size
    )
    bot = Bot(api.token, session=session)
    dispatcher = Dispatcher(storage=MemoryStorage())
    dispatcher.include_router(_router(answers, board))
    with _quiet_aiogram():
        polling = asyncio.create_task(
            dispatcher.start_polling(bot, polling_timeout=1, handle_signals=False)
        )
        chatting = asyncio.create_task(
            run_closed_loop(
                "aiogram in memory, five steps",
                BatchedPusher(api),
                board,
                range(debtors),
                FIVE_STEPS,
                report,
            )
        )
        try:
            await asyncio.wait({polling, chatting}, return_when=asyncio.FIRST_COMPLETED)
            if not chatting.done():  # polling ended first: it failed
                polling.result()
                raise RuntimeError("the aiogram reference stopped polling on its own")
            return chatting.result()
        finally:
            chatting.cancel()
            if not polling.done():
                await dispatcher.stop_polling()
            await asyncio.gather(polling, chatting, return_exceptions=True)
