"""Identity first: discreet greeting, invites, wrong answers, locks, nothing leaked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dialogs.flow import State
from dialogs.flow.actions import LinkDebtor, LockContact, MarkVerified, ResolveInvite
from dialogs.flow.events import AgentClosed, TextReceived
from dialogs.negotiation.policy import load_policy
from tests.dialogs.flow.driver import MARCOS_CPF, NOW, Conversation, joined, marcos

POLICY_HEAD = """
[creditor]
name = "Loja Exemplo Ltda"
document = "12.345.678/0001-95"
address = "Rua Exemplo, 100"
pix_key = "12345678000195"
pix_city = "SAO PAULO"
"""


def invited(method: str = "cpf_prefix") -> Conversation:
    policy = load_policy(POLICY_HEAD + f'\n[verification]\nmethod = "{method}"\n')
    return Conversation(policy=policy, invites={"tok123": ("ok", marcos())})


def test_invite_greets_by_name_and_asks_first_cpf_digits() -> None:
    chat = invited()
    text = joined(chat.start("tok123"))
    assert ResolveInvite("tok123") in chat.actions
    assert LinkDebtor(7) in chat.actions
    assert "Olá, Marcos!" in text
    assert "Antes de falar sobre a sua conta" in text
    assert "3 primeiros dígitos do seu CPF" in text
    assert "R$" not in text
    assert chat.current() is State.VERIFYING

    balance = joined(chat.text("529"))
    assert MarkVerified(7) in chat.actions
    assert "Total atualizado: R$ 2.512,80" in balance
    assert chat.current() is State.BALANCE


def test_birth_date_method_asks_the_birth_date() -> None:
    chat = invited("birth_date")
    assert "data de nascimento" in joined(chat.start("tok123"))
    chat.text("15/03/1985")
    assert chat.current() is State.BALANCE


def test_both_method_asks_cpf_digits_then_birth_date() -> None:
    chat = invited("both")
    chat.start("tok123")
    assert "data de nascimento" in joined(chat.text("529"))
    assert chat.current() is State.VERIFYING
    chat.text("15031985")
    assert chat.current() is State.BALANCE


@pytest.mark.parametrize("outcome", ["expired", "used", "unknown"])
def test_unusable_invite_explains_and_falls_back_to_the_cpf(outcome: str) -> None:
    chat = Conversation(invites={"old": (outcome, None)})
    text = joined(chat.start("old"))
    assert "Este link não vale mais" in text
    assert "CPF" in text
    assert chat.current() is State.AWAITING_CPF


def test_unknown_cpf_and_wrong_answer_read_the_same() -> None:
    unknown = Conversation(directory={})
    unknown.text("oi")
    not_found = unknown.text("111.444.777-35")

    wrong = invited()
    wrong.start("tok123")
    wrong_answer = wrong.text("123")

    assert (
        not_found[0]
        == wrong_answer[0]
        == ("Não consegui confirmar os seus dados. Pode conferir e tentar de novo?")
    )


def test_cpf_with_wrong_check_digits_is_not_looked_up() -> None:
    chat = Conversation(directory={MARCOS_CPF: marcos()})
    chat.text("oi")
    assert "não parece um CPF válido" in joined(chat.text("529.982.247-26"))
    assert chat.current() is State.AWAITING_CPF
    assert chat.context.failed_attempts == 0


def test_three_failures_lock_the_contact_until_lock_minutes_pass() -> None:
    chat = invited()
    chat.start("tok123")
    chat.text("111")
    chat.text("222")
    locked = joined(chat.text("333"))

    assert chat.current() is State.LOCKED
    assert chat.of_type(LockContact) == [LockContact(NOW + timedelta(minutes=30))]
    assert "30 minutos" in locked
    assert "Marcos" not in locked
    assert "R$" not in locked

    assert "pausada" in joined(chat.text("529"))  # even the right answer waits
    assert chat.current() is State.LOCKED
    chat.later(minutes=31)
    assert "3 primeiros dígitos" in joined(chat.text("oi"))
    assert chat.current() is State.VERIFYING
    chat.text("529")
    assert chat.current() is State.BALANCE


def test_small_talk_while_verifying_is_not_a_failed_attempt() -> None:
    chat = invited()
    chat.start("tok123")
    chat.text("oi")
    chat.text("tudo bem?")
    assert chat.context.failed_attempts == 0
    assert chat.current() is State.VERIFYING


def test_known_phone_contact_is_verified_with_questions_not_full_cpf() -> None:
    chat = Conversation()
    chat.refresh(marcos())
    assert "3 primeiros dígitos" in joined(chat.text("oi"))
    chat.text("529")
    assert chat.current() is State.BALANCE


def test_verified_debtor_coming_back_after_close_is_greeted_again() -> None:
    chat = Conversation(directory={MARCOS_CPF: marcos()})
    chat.text("oi")
    chat.text(MARCOS_CPF)
    chat.tap("human")

    chat.send(AgentClosed())
    assert chat.current() is State.CLOSED
    text = joined(chat.text("oi"))
    assert "Olá de novo, Marcos!" in text
    assert "Total atualizado" in text
    assert chat.current() is State.BALANCE


def test_birth_date_typos_and_two_digit_years() -> None:
    chat = invited("birth_date")
    chat.start("tok123")
    chat.send(TextReceived("15-03-85"))
    assert chat.current() is State.BALANCE
    assert chat.context.verified
    assert marcos().birth_date == date(1985, 3, 15)
