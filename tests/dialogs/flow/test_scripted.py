"""The conversation from CONVERSATION.md, end to end, with the exact amounts a debtor sees."""

from __future__ import annotations

from datetime import date, timedelta

from dialogs.flow import State
from dialogs.flow.actions import (
    CreateAgreement,
    LinkDebtor,
    LookupDebtor,
    MarkVerified,
    SendPaymentInstructions,
)
from tests.dialogs.flow.driver import MARCOS_CPF, NOW, Conversation, joined, marcos


def test_greeting_cpf_balance_six_installments_pix_confirmed() -> None:
    chat = Conversation(directory={MARCOS_CPF: marcos()})

    greeting = joined(chat.text("oi"))
    assert "Loja Exemplo Ltda" in greeting
    assert "Antes de falar sobre a sua conta, preciso confirmar que é você" in greeting
    assert "R$" not in greeting
    assert "Notebook" not in greeting
    assert chat.current() is State.AWAITING_CPF

    balance = joined(chat.text("529.982.247-25"))
    assert chat.of_type(LookupDebtor) == [LookupDebtor(MARCOS_CPF)]
    # The full CPF verifies at once: one action links and verifies the contact.
    assert chat.of_type(MarkVerified) == [MarkVerified(7)]
    assert chat.of_type(LinkDebtor) == []
    assert 'Notebook 15" — venceu em 05/09/2026 (81 dias)' in balance
    assert "Valor original R$ 2.400,00" in balance
    assert "multa (2%) R$ 48,00" in balance
    assert "juros (1% a.m.) R$ 64,80" in balance
    assert "Total atualizado: R$ 2.512,80" in balance
    assert "Loja Exemplo Ltda — CNPJ 12.345.678/0001-95" in balance
    assert [label for _, label in chat.buttons()] == [
        "Pagar à vista",
        "Parcelar",
        "Já paguei",
        "Não reconheço",
        "Falar com uma pessoa",
    ]

    offers = joined(chat.tap("installments"))
    assert "1ª parcela em até 10 dias" in offers
    assert ("plan:6", "6x de R$ 418,80") in chat.buttons()
    assert ("plan:2", "2x de R$ 1.256,40") in chat.buttons()
    assert chat.buttons()[-1] == ("plan:other", "Outro valor")

    chat.tap("plan:6")
    assert chat.current() is State.CHOOSING_CHANNEL
    assert [choice for choice, _ in chat.buttons()] == ["ch:pix", "ch:boleto", "ch:card"]

    summary = joined(chat.tap("ch:pix"))
    assert "6 parcelas de R$ 418,80 (total R$ 2.512,80)" in summary
    assert "a primeira vence em 05/12/2026" in summary
    assert "PIX" in summary
    assert [label for _, label in chat.buttons()] == ["Confirmar acordo", "Alterar"]

    closed = joined(chat.tap("confirm"))
    assert closed.startswith("Acordo fechado!")
    assert "R$ 418,80, vence em 05/12/2026" in closed
    assert chat.current() is State.AGREEMENT_ACTIVE
    [create] = chat.of_type(CreateAgreement)
    assert isinstance(create, CreateAgreement)
    assert create.debt_ids == (70,)
    assert create.payment_channel == "pix"
    assert create.total_cents == 251_280
    assert [i.amount_cents for i in create.installments] == [41_880] * 6
    assert sum(i.amount_cents for i in create.installments) == create.total_cents
    first_due = create.installments[0].due_date
    assert NOW.date() <= first_due <= NOW.date() + timedelta(days=10)
    assert [i.due_date for i in create.installments][:2] == [date(2026, 12, 5), date(2027, 1, 5)]
    assert chat.of_type(SendPaymentInstructions) == [SendPaymentInstructions("pix")]


def test_counter_offer_of_300_a_month_is_answered_with_nine_installments() -> None:
    chat = Conversation(directory={MARCOS_CPF: marcos()})
    chat.text("oi")
    chat.text("52998224725")
    chat.tap("installments")

    answer = joined(chat.text("consigo uns 300 por mês"))

    assert answer == "Com R$ 300,00 por mês, a opção mais próxima é 9x de R$ 279,20. Fica bom?"
    assert chat.current() is State.CONFIRMING_COUNTER
    assert chat.buttons() == [("plan:9", "Sim, 9x"), ("other_options", "Ver outras opções")]
    chat.tap("plan:9")
    summary = joined(chat.tap("ch:boleto"))
    assert "9 parcelas de R$ 279,20 (total R$ 2.512,80)" in summary
    chat.text("sim")
    [create] = chat.of_type(CreateAgreement)
    assert isinstance(create, CreateAgreement)
    assert [i.amount_cents for i in create.installments] == [27_920] * 9
    assert create.payment_channel == "boleto"


def test_cash_payment_gets_the_days_late_discount() -> None:
    chat = Conversation(directory={MARCOS_CPF: marcos()})
    chat.text("oi")
    chat.text("52998224725")

    offer = joined(chat.tap("pay_full"))

    # 81 days late reaches the 10% tier of the default policy.
    assert "R$ 2.261,52" in offer
    assert "10%" in offer
    assert "R$ 251,28" in offer
    assert "05/12/2026" in offer
    summary = joined(chat.tap("ch:pix"))
    assert "pagamento à vista de R$ 2.261,52 até 05/12/2026" in summary
    chat.tap("confirm")
    [create] = chat.of_type(CreateAgreement)
    assert isinstance(create, CreateAgreement)
    assert create.total_cents == 226_152
    assert create.discount_cents == 25_128
    assert len(create.installments) == 1
