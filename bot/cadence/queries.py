"""The few set-based reads the cadence needs beyond the repositories."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select

from storage import UnitOfWork, tables
from storage.enums import OutboxStatus

PROACTIVE_MARK = '%"proactive":true%'  # how `bot.outbound_codec.dump` writes the flag


class SentCounter(Protocol):
    """How many proactive messages a debtor got in [start, end), across all channels."""

    async def sent_between(self, debtor_id: int, start: datetime, end: datetime) -> int: ...


class OutboxSentCounter:
    """Counts proactive outbox rows that were sent or are on their way (failed ones do not
    count: the debtor never saw them)."""

    def __init__(self, tx: UnitOfWork) -> None:
        self._tx = tx

    async def sent_between(self, debtor_id: int, start: datetime, end: datetime) -> int:
        outbox, conversation = tables.outbox, tables.conversation
        stmt = (
            select(func.count())
            .select_from(outbox.join(conversation, outbox.c.conversation_id == conversation.c.id))
            .where(
                conversation.c.debtor_id == debtor_id,
                outbox.c.status != OutboxStatus.FAILED.value,
                outbox.c.created_at >= start,
                outbox.c.created_at < end,
                outbox.c.payload.like(PROACTIVE_MARK),
            )
        )
        return int((await self._tx.connection.execute(stmt)).scalar_one())
