"""Contacts: one per channel address; verification, lock-out, unreachable and opt-out."""

from __future__ import annotations

from datetime import timedelta

from storage.database import Database
from tests.storage.helpers import NOW, new_debtor


async def test_a_contact_is_verified_after_failures_and_lock(db: Database) -> None:
    debtor_id = await new_debtor(db)
    async with db.transaction() as tx:
        contact = await tx.contacts.get_or_create("telegram", "555", locale="pt_BR", now=NOW)
        same = await tx.contacts.get_or_create("telegram", "555")
        assert same.id == contact.id
        await tx.contacts.link(contact.id, debtor_id)
        assert await tx.contacts.record_failed_attempt(contact.id) == 1
        assert await tx.contacts.record_failed_attempt(contact.id) == 2
        await tx.contacts.lock(contact.id, NOW + timedelta(minutes=30))
        locked = await tx.contacts.get(contact.id)
        await tx.contacts.mark_verified(contact.id, debtor_id, NOW)
        verified = await tx.contacts.get(contact.id)
    assert locked is not None
    assert locked.locked_until == NOW + timedelta(minutes=30)
    assert verified is not None
    assert (verified.debtor_id, verified.verified_at, verified.failed_attempts) == (
        debtor_id,
        NOW,
        0,
    )
    assert verified.locked_until is None
    assert verified.locale == "pt_BR"


async def test_get_or_create_returns_the_stored_contact_new_or_existing(db: Database) -> None:
    debtor_id = await new_debtor(db)
    async with db.transaction() as tx:
        created = await tx.contacts.get_or_create("whatsapp", "5511987654321", now=NOW)
        stored = await tx.contacts.get(created.id)
        await tx.contacts.link(created.id, debtor_id)
        again = await tx.contacts.get_or_create("whatsapp", "5511987654321", locale="en")
    assert created == stored
    assert (created.debtor_id, created.failed_attempts, created.locale) == (None, 0, None)
    assert (again.id, again.debtor_id, again.locale) == (created.id, debtor_id, None)


async def test_unreachable_and_opt_out_are_recorded_per_address(db: Database) -> None:
    debtor_id = await new_debtor(db)
    async with db.transaction() as tx:
        wa = await tx.contacts.get_or_create("whatsapp", "5511987654321")
        tg = await tx.contacts.get_or_create("telegram", "5511987654321")
        await tx.contacts.link(wa.id, debtor_id)
        await tx.contacts.mark_unreachable("whatsapp", "5511987654321", "blocked", NOW)
        await tx.contacts.set_opted_out(wa.id, True, NOW)
        wa_now, tg_now = await tx.contacts.get(wa.id), await tx.contacts.get(tg.id)
        assert [c.id for c in await tx.contacts.for_debtor(debtor_id)] == [wa.id]
        await tx.contacts.set_opted_out(wa.id, False, NOW)
        await tx.contacts.mark_reachable(wa.id)
        wa_back = await tx.contacts.get(wa.id)
    assert wa_now is not None
    assert tg_now is not None
    assert wa_back is not None
    assert (wa_now.unreachable_reason, wa_now.opted_out_at) == ("blocked", NOW)
    assert tg_now.unreachable_at is None
    assert tg_now.opted_out_at is None
    assert wa_back.unreachable_at is None
    assert wa_back.opted_out_at is None
