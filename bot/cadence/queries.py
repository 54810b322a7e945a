"""The few set-based reads the cadence needs beyond the repositories."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, func, literal_column, select

from storage import UnitOfWork, tables
from storage.enums import OutboxStatus
from storage.models import OUTBOX_PROACTIVE


class SentCounter(Protocol):
    """How many proactive messages a debtor got in [start, end), across all channels."""

    async def sent_between(self, debtor_id: int, start: datetime, end: datetime) -> int: ...


def proactive_sent_statement(debtor_id: int, start: datetime, end: datetime) -> Select[Any]:
    """Proactive outbox rows of the debtor's chats created in [start, end), not failed.

    Read through the partial index of proactive rows: SQLite uses it only when the query
    spells the index's condition the same way, hence the literal column."""
    outbox, conversation = tables.outbox, tables.conversation
    return (
        select(func.count())
        .select_from(outbox.join(conversation, outbox.c.conversation_id == conversation.c.id))
        .where(
            conversation.c.debtor_id == debtor_id,
            literal_column(f"{outbox.name}.{OUTBOX_PROACTIVE}"),
            outbox.c.created_at >= start,
            outbox.c.created_at < end,
            outbox.c.status != OutboxStatus.FAILED.value,
        )
    )


class OutboxSentCounter:
    """Counts proactive outbox rows that were sent or are on their way (failed ones do not
    count: the debtor never saw them)."""

    def __init__(self, tx: UnitOfWork) -> None:
        self._tx = tx

    async def sent_between(self, debtor_id: int, start: datetime, end: datetime) -> int:
        statement = proactive_sent_statement(debtor_id, start, end)
        return int((await self._tx.connection.execute(statement)).scalar_one())
