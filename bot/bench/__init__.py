"""`quita bench`: drive simulated debtors through whole conversations and measure.

Each simulated debtor opens the chat, verifies with their CPF, asks for installments, picks
6x, pays by PIX and confirms, with a couple of stray messages on the way.

- `bot.bench.service`: the service path (`ConversationService.handle`, every event committed)
  on SQLite or PostgreSQL: capacity and latency, both open loops with chats interleaved as in
  real traffic, and the baseline without storage;
- `bot.bench.telegram`: the Telegram path end to end through python-telegram-bot, next to
  DESIGN.md's yardstick, an in-memory aiogram bot (`bot.bench.aiogram_reference`);
- `bot.bench.conversations`: the simulated debtors; `bot.bench.loopback_chats`: debtors
  typing into a loopback Bot API; `bot.bench.figures`: figures and targets.
"""

from bot.bench.conversations import SCRIPT_AFTER_CPF, cpf_for, script_for, seed_debtors
from bot.bench.figures import (
    SERVICE_LATENCY_TARGET,
    SERVICE_TARGET,
    Figures,
    measured,
    peak_rss_mib,
    telegram_target,
)
from bot.bench.service import bench
from bot.bench.telegram import TelegramFigures, bench_telegram

__all__ = [
    "SCRIPT_AFTER_CPF",
    "SERVICE_LATENCY_TARGET",
    "SERVICE_TARGET",
    "Figures",
    "TelegramFigures",
    "bench",
    "bench_telegram",
    "cpf_for",
    "measured",
    "peak_rss_mib",
    "script_for",
    "seed_debtors",
    "telegram_target",
]
