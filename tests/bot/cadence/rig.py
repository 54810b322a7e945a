"""A whole Quita (service, outbox, scheduler, planner) on a manual clock, with recording
WhatsApp and Telegram senders standing in for the platforms; the test moves time by hand."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import Quita, build
from bot.cadence.kinds import register_cadence_kinds
from bot.cadence.runtime import CadencePlanner
from bot.channels.base import ChannelName, OutboundMessage
from bot.clock import ManualClock
from bot.demo import SAMPLE_DEBTS_CSV
from bot.importing import import_debts
from bot.scheduler import Scheduler
from bot.settings import load_settings
from dialogs.negotiation.policy import Policy, default_policy
from storage import UnitOfWork

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# Wednesday 2026-11-25 10:00 in São Paulo: the sample portfolio is imported then.
IMPORTED_AT = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


@dataclass
class Sent:
    at: datetime  # São Paulo time
    channel: str
    address: str
    message: OutboundMessage


class RecordingSender:
    """A channel that accepts everything and remembers what it was given, and when."""

    def __init__(self, channel: ChannelName, clock: ManualClock, log: list[Sent]) -> None:
        self.channel = channel
        self._clock = clock
        self._log = log

    async def send(self, address: str, message: OutboundMessage) -> str:
        self._log.append(
            Sent(self._clock.now().astimezone(SAO_PAULO), self.channel.value, address, message)
        )
        return f"{self.channel.value}-{len(self._log)}"


@dataclass
class Rig:
    quita: Quita
    clock: ManualClock
    scheduler: Scheduler
    planner: CadencePlanner
    sent: list[Sent] = field(default_factory=list)
    planned_on: date | None = None

    @property
    def policy(self) -> Policy:
        return self.quita.policy

    def transaction(self) -> contextlib.AbstractAsyncContextManager[UnitOfWork]:
        return self.quita.db.transaction()

    async def tick(self, moment: datetime) -> None:
        """Move the clock, plan a new day once, run due jobs, deliver what they queued."""
        self.clock.set(moment)
        if self.planned_on != self.planner.today():
            await self.planner.plan_due()
            self.planned_on = self.planner.today()
        await self.scheduler.run_due()
        while await self.quita.outbox.drain_once():
            pass

    async def run_until(self, end: datetime, step: timedelta = timedelta(hours=1)) -> None:
        moment = self.clock.now()
        while moment <= end:
            await self.tick(moment)
            moment += step

    async def debtor_id(self, external_id: str) -> int:
        async with self.quita.db.transaction(write=False) as tx:
            debtor = await tx.debtors.by_external_id(external_id)
        assert debtor is not None
        return debtor.id

    async def phones(self) -> dict[str, str]:
        """WhatsApp address (digits) -> external id, for every sample debtor."""
        found: dict[str, str] = {}
        async with self.quita.db.transaction(write=False) as tx:
            for debtor in await tx.debtors.list_page(limit=1000):
                if debtor.phone:
                    found[debtor.phone.lstrip("+")] = debtor.external_id
        return found


@contextlib.asynccontextmanager
async def cadence_rig(
    database_url: str,
    *,
    policy: Policy | None = None,
    start: datetime = IMPORTED_AT,
    seed: bool = True,
    settings: dict[str, Any] | None = None,
) -> AsyncIterator[Rig]:
    clock = ManualClock(start)
    quita = build(
        load_settings(quita_database_url=database_url, **(settings or {})),
        clock=clock,
        policy=policy or default_policy(),
    )
    rig_log: list[Sent] = []
    for channel in (ChannelName.WHATSAPP, ChannelName.TELEGRAM):
        quita.outbox.add_sender(channel.value, RecordingSender(channel, clock, rig_log))
    register_cadence_kinds(quita.outbox.channels)
    scheduler = Scheduler(quita.db, quita.service, clock, lease_seconds=60)
    planner = CadencePlanner(quita.db, quita.policy, clock, scheduler=scheduler)
    if seed:
        await import_debts(quita.db, SAMPLE_DEBTS_CSV, today=start.date(), now=start)
    try:
        yield Rig(quita, clock, scheduler, planner, rig_log)
    finally:
        await quita.db.dispose()
