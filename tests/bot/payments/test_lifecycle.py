"""The agreement's life through the real service on SQLite and PostgreSQL: payments settle
installments, a differing amount goes to a person, the last one completes the agreement,
a late one past the grace days breaks it and the debtor is offered a new agreement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.channels.base import ChannelName, ConversationKey, Inbound
from bot.payments.confirmation import confirm_payment
from bot.payments.receipt import agreement_summary, receipt_text
from dialogs.flow.events import ButtonPressed, ReminderDue, TextReceived
from storage import tables
from tests.bot.payments.lifecycle_support import Desk, desk

PAID_AT = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)


def check(agreement_id: int, number: int) -> ReminderDue:
    return ReminderDue("installment_check", f"{agreement_id}:{number}")


async def fire(d: Desk, conversation_id: int, event: ReminderDue) -> None:
    """What the scheduler does when a job is due: the event, once, into the chat."""
    async with d.db.transaction(write=False) as tx:
        conv = await tx.conversations.get(conversation_id)
    assert conv is not None
    await d.service.handle(
        Inbound(
            ConversationKey(ChannelName(conv.channel), conv.address),
            event,
            d.clock.now(),
            idempotency_key=f"job:{uuid.uuid4().hex}",
        )
    )


async def test_each_payment_is_thanked_and_the_last_completes_the_agreement(
    database_url: str,
) -> None:
    async with desk(database_url) as d:
        agreement = await d.negotiate(plan=3)
        conv = agreement.conversation_id
        assert conv is not None
        first, second, third = agreement.installments

        result = await confirm_payment(
            d.service, agreement.id, 1, first.amount_cents, PAID_AT, "webhook", "E2E-1"
        )
        again = await confirm_payment(
            d.service, agreement.id, 1, first.amount_cents, PAID_AT, "webhook", "E2E-1"
        )
        assert (result.status, result.flagged, result.installment_status) == (
            "recorded",
            False,
            "paid",
        )
        assert again.status == "duplicate"
        texts = await d.bot_texts(conv)
        assert sum("Recebemos o pagamento da parcela 1" in t for t in texts) == 1

        await confirm_payment(d.service, agreement.id, 2, second.amount_cents, PAID_AT)
        last = await confirm_payment(
            d.service, agreement.id, 3, third.amount_cents, PAID_AT, "reconciliation", "B-3"
        )

        assert last.agreement_status == "completed"
        texts = await d.bot_texts(conv)
        assert any("O seu acordo está quitado" in t for t in texts)
        async with d.db.transaction(write=False) as tx:
            debts = await tx.debtors.debts(agreement.debtor_id, include_paid=True)
            payments = await tx.agreements.payments(agreement.id)
            jobs = (await tx.connection.execute(select(tables.scheduled_job))).mappings().all()
        assert [d.status for d in debts if d.id in agreement.debt_ids] == ["paid"]
        assert len(payments) == 3
        assert not any(p.flagged for p in payments)
        assert {p.source for p in payments} == {"webhook", "agent", "reconciliation"}
        checks = [j for j in jobs if j["kind"] == "installment_check"]
        assert len(checks) == 3
        assert all(j["status"] == "cancelled" for j in checks)


async def test_a_partial_payment_is_recorded_flagged_and_sent_to_a_person(
    database_url: str,
) -> None:
    async with desk(database_url) as d:
        agreement = await d.negotiate(plan=3)
        first = agreement.installments[0]

        partial = await confirm_payment(
            d.service, agreement.id, 1, first.amount_cents - 10_000, PAID_AT, "webhook", "P-1"
        )

        assert partial.flagged
        assert partial.installment_status == "pending"
        async with d.db.transaction(write=False) as tx:
            escalation = await tx.escalations.active_for_conversation(partial.conversation_id)
            conv = await tx.conversations.get(partial.conversation_id)
        assert escalation is not None
        assert escalation.reason == "payment_mismatch"
        assert conv is not None
        assert conv.mode == "queued"
        assert not any("Recebemos o pagamento" in t for t in await d.bot_texts(conv.id))

        # The rest of the installment arrives: together they settle it.
        rest = await confirm_payment(d.service, agreement.id, 1, 10_000, PAID_AT, "webhook", "P-2")
        assert (rest.flagged, rest.installment_status) == (False, "paid")
        assert (await d.agreement(agreement.id)).installments[0].paid_cents == first.amount_cents


async def test_an_agent_marking_an_installment_paid_twice_counts_once(database_url: str) -> None:
    async with desk(database_url) as d:
        agreement = await d.negotiate(plan=3)
        amount = agreement.installments[0].amount_cents
        first = await confirm_payment(d.service, agreement.id, 1, amount, PAID_AT, note="balcão")
        second = await confirm_payment(d.service, agreement.id, 1, amount, PAID_AT)
        assert (first.status, second.status) == ("recorded", "duplicate")
        async with d.db.transaction(write=False) as tx:
            payments = await tx.agreements.payments(agreement.id)
        assert [(p.source, p.note) for p in payments] == [("agent", "balcão")]


async def test_late_past_the_grace_days_breaks_the_agreement_and_offers_a_new_one(
    database_url: str,
) -> None:
    async with desk(database_url) as d:
        agreement = await d.negotiate(plan=3)
        conv = agreement.conversation_id
        assert conv is not None
        first, second, _ = agreement.installments
        async with d.db.transaction(write=False) as tx:
            job = await tx.jobs.by_key(f"installment_check:{agreement.id}:002")
            debts_before = await tx.debtors.debts(agreement.debtor_id)
        assert job is not None
        assert job.ref == f"{agreement.id}:2"
        # Five grace days after the due date, the next morning at 09:00 in São Paulo.
        expected = datetime.combine(second.due_date + timedelta(days=6), datetime.min.time())
        assert job.run_at.astimezone(UTC) == expected.replace(hour=12, tzinfo=UTC)
        await confirm_payment(d.service, agreement.id, 1, first.amount_cents, PAID_AT)

        # Inside the grace days the check only marks the installment late; nothing is said.
        d.clock.set(datetime.combine(second.due_date + timedelta(days=2), datetime.min.time(), UTC))
        said = len(await d.bot_texts(conv))
        await fire(d, conv, check(agreement.id, 2))
        assert (await d.agreement(agreement.id)).status == "active"
        assert (await d.agreement(agreement.id)).installments[1].status == "late"
        assert len(await d.bot_texts(conv)) == said

        d.clock.set(job.run_at)
        await fire(d, conv, check(agreement.id, 2))

        broken = await d.agreement(agreement.id)
        assert broken.status == "broken"
        assert [i.status for i in broken.installments] == ["paid", "late", "cancelled"]
        async with d.db.transaction(write=False) as tx:
            debts = await tx.debtors.debts(agreement.debtor_id)
            state = await tx.conversations.get(conv)
        assert [(x.status, x.paid_cents) for x in debts] == [("open", first.amount_cents)]
        assert debts_before[0].paid_cents == 0
        assert state is not None
        assert state.state == "balance"
        offer = (await d.bot_texts(conv))[-1]
        assert "acordo foi encerrado" in offer
        assert "foi descontado do saldo" in offer

        # The renegotiation starts from what is still owed.
        key = ConversationKey(ChannelName(state.channel), state.address)
        await d.send(key, ButtonPressed("pay_full"))
        cash = (await d.bot_texts(conv))[-2:]
        assert any("R$" in t for t in cash)
        # A second firing of the same check changes nothing and says nothing.
        said = len(await d.bot_texts(conv))
        await fire(d, conv, check(agreement.id, 2))
        assert len(await d.bot_texts(conv)) == said


async def test_the_debtor_asks_for_a_receipt_of_the_agreement(database_url: str) -> None:
    async with desk(database_url) as d:
        agreement = await d.negotiate(plan=3)
        conv = agreement.conversation_id
        assert conv is not None
        first = agreement.installments[0]
        await confirm_payment(d.service, agreement.id, 1, first.amount_cents, PAID_AT)
        async with d.db.transaction(write=False) as tx:
            state = await tx.conversations.get(conv)
        assert state is not None

        await d.send(
            ConversationKey(ChannelName(state.channel), state.address),
            TextReceived("me manda o resumo do acordo"),
        )

        receipt, menu = (await d.bot_texts(conv))[-2:]
        assert receipt.splitlines() == [
            f"Resumo do acordo nº {agreement.id}: 3 parcela(s), total de R$ 2.512,80.",
            "• Parcela 1/3: R$ 837,60, paga em 05/12/2026.",
            "• Parcela 2/3: R$ 837,60, vence em 05/01/2027.",
            "• Parcela 3/3: R$ 837,60, vence em 05/02/2027.",
            "Total pago: R$ 837,60.",
            "Falta pagar: R$ 1.675,20.",
        ]
        assert menu == "Posso ajudar com mais alguma coisa?"


async def test_the_console_summary_lists_payments_under_review(database_url: str) -> None:
    async with desk(database_url) as d:
        agreement = await d.negotiate(plan=3)
        first = agreement.installments[0]
        await confirm_payment(d.service, agreement.id, 1, first.amount_cents, PAID_AT)
        await confirm_payment(d.service, agreement.id, 2, 100, PAID_AT, "webhook", "odd-1")
        async with d.db.transaction(write=False) as tx:
            summary = await agreement_summary(tx, agreement.id)
        assert summary is not None
        assert (summary.paid_cents, summary.left_cents) == (83_760, 167_520)
        assert [(p.installment_number, p.flagged) for p in summary.payments] == [
            (1, False),
            (2, True),
        ]
        text = receipt_text(summary, "pt_BR", d.service.policy.contact.zone)
        assert "• Pagamento de R$ 1,00 recebido em 05/12/2026: em conferência" in text
