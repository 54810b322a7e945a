"""The sample portfolio dressed for a week of cadence: one debtor with an agreement and a
verified WhatsApp chat, one who opted out, one with a promise the same day as outreach."""

from __future__ import annotations

from datetime import date, datetime

from dialogs.flow import State, initial_context
from storage import NewInstallment, UnitOfWork
from tests.bot.cadence.rig import SAO_PAULO, Rig

AGREEMENT_DEBTOR = "CLI-0006"  # Pedro, DF: 2026-11-30 is a state holiday there
OPTED_OUT = "CLI-0005"  # Luciana, RS
PROMISED = "CLI-0001"  # Maria, SP
INSTALLMENT_DUE = date(2026, 11, 30)


async def verified_whatsapp_chat(tx: UnitOfWork, debtor_id: int, now: datetime) -> int:
    debtor = await tx.debtors.get(debtor_id)
    assert debtor is not None
    assert debtor.phone
    address = debtor.phone.lstrip("+")
    contact = await tx.contacts.get_or_create("whatsapp", address, now=now)
    await tx.contacts.mark_verified(contact.id, debtor_id, now)
    context = initial_context().to_dict() | {"verified_debtor_id": debtor_id}
    conv = await tx.conversations.create(
        "whatsapp",
        address,
        state=State.AGREEMENT_ACTIVE.value,
        context=context,
        contact_id=contact.id,
        debtor_id=debtor_id,
        now=now,
    )
    return conv.id


async def add_agreement(rig: Rig, external_id: str, due: date) -> int:
    debtor_id = await rig.debtor_id(external_id)
    now = rig.clock.now()
    async with rig.transaction() as tx:
        conversation_id = await verified_whatsapp_chat(tx, debtor_id, now)
        debts = await tx.debtors.debts(debtor_id)
        await tx.debtors.set_debt_status([d.id for d in debts], "agreement", now=now)
        return (
            await tx.agreements.create(
                debtor_id,
                conversation_id,
                [d.id for d in debts],
                [NewInstallment(1, 7_619, due), NewInstallment(2, 7_618, date(2026, 12, 30))],
                payment_channel="pix",
                total_cents=15_237,
                now=now,
            )
        ).id


async def opt_out(rig: Rig, external_id: str) -> None:
    debtor_id = await rig.debtor_id(external_id)
    now = rig.clock.now()
    async with rig.transaction() as tx:
        debtor = await tx.debtors.get(debtor_id)
        assert debtor is not None
        assert debtor.phone
        contact = await tx.contacts.get_or_create("whatsapp", debtor.phone.lstrip("+"), now=now)
        await tx.contacts.link(contact.id, debtor_id)
        await tx.contacts.set_opted_out(contact.id, True, now)


async def promise_job(rig: Rig, external_id: str, at: datetime) -> None:
    debtor_id = await rig.debtor_id(external_id)
    day = at.astimezone(SAO_PAULO).date()
    async with rig.transaction() as tx:
        await tx.jobs.schedule(
            "promise_reminder",
            at,
            f"promise:{debtor_id}:{day.isoformat()}",
            str(debtor_id),
            debtor_id=debtor_id,
            now=rig.clock.now(),
        )


async def dress(rig: Rig) -> None:
    await add_agreement(rig, AGREEMENT_DEBTOR, INSTALLMENT_DUE)
    await opt_out(rig, OPTED_OUT)
    await promise_job(rig, PROMISED, datetime(2026, 11, 25, 11, 0, tzinfo=SAO_PAULO))
