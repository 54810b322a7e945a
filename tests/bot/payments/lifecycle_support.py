"""A debtor who closes an agreement through the real service (web chat events, no socket)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.app import read_policy
from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.clock import ManualClock
from bot.demo import SAMPLE_DEBTS_CSV
from bot.importing import import_debts
from bot.service import ConversationService
from bot.settings import DEFAULT_POLICY
from dialogs.flow.events import ButtonPressed, Event, StartRequested, TextReceived
from storage import AgreementRow, Database, MessageRow
from tests.support.harness import REFERENCE_NOW

MARCOS_CPF = "529.982.247-25"


@dataclass
class Desk:
    db: Database
    service: ConversationService
    clock: ManualClock

    async def send(self, key: ConversationKey, event: Event) -> None:
        await self.service.handle(
            Inbound(key, event, self.clock.now(), message_id=uuid.uuid4().hex)
        )

    async def negotiate(self, plan: int, address: str = "chat-1") -> AgreementRow:
        """Marcos verifies, picks a `plan`x PIX plan and confirms: the agreement storage holds."""
        key = ConversationKey(ChannelName.WEBCHAT, address)
        for event in (
            StartRequested(),
            TextReceived(MARCOS_CPF),
            ButtonPressed("installments"),
            ButtonPressed(f"plan:{plan}"),
            ButtonPressed("ch:pix"),
            ButtonPressed("confirm"),
        ):
            await self.send(key, event)
        async with self.db.transaction(write=False) as tx:
            conversation = await tx.conversations.by_key(key.channel.value, key.address)
            assert conversation is not None
            assert conversation.debtor_id is not None
            agreements = await tx.agreements.for_debtor(conversation.debtor_id)
        assert len(agreements) == 1, agreements
        return agreements[0]

    async def bot_texts(self, conversation_id: int) -> list[str]:
        return [m.text for m in await self.transcript(conversation_id) if m.direction == "out"]

    async def transcript(self, conversation_id: int) -> list[MessageRow]:
        async with self.db.transaction(write=False) as tx:
            return await tx.messages.transcript(conversation_id)

    async def agreement(self, agreement_id: int) -> AgreementRow:
        async with self.db.transaction(write=False) as tx:
            found = await tx.agreements.get(agreement_id)
        assert found is not None
        return found


@asynccontextmanager
async def desk(database_url: str) -> AsyncIterator[Desk]:
    clock = ManualClock(REFERENCE_NOW)
    db = Database(database_url)
    try:
        await import_debts(db, SAMPLE_DEBTS_CSV, today=clock.now().date(), now=clock.now())
        service = ConversationService(db, read_policy(DEFAULT_POLICY), clock)
        yield Desk(db, service, clock)
    finally:
        await db.dispose()
