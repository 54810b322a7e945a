"""Every escalation reason: the right code, priority, an agent summary, a calm handoff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from bot.i18n import render
from dialogs.flow import State
from dialogs.flow.actions import Escalate
from dialogs.flow.escalation import REASONS
from dialogs.flow.events import PaymentConfirmed, ReminderDue
from tests.dialogs.flow.driver import NOW, Conversation, joined
from tests.dialogs.flow.scenarios import REACH


def human_requested() -> Conversation:
    chat = REACH[State.BALANCE]()
    chat.tap("human")
    return chat


def not_understood() -> Conversation:
    chat = REACH[State.BALANCE]()
    for words in ("xpto", "qwerty", "zzz"):
        chat.text(words)
    return chat


def offer_stalled() -> Conversation:
    chat = REACH[State.BALANCE]()
    for _ in range(4):
        chat.tap("installments")
    return chat


def counter_offer_outside_policy() -> Conversation:
    chat = REACH[State.CHOOSING_PLAN]()
    chat.text("consigo 100 por mês")
    return chat


def dispute() -> Conversation:
    chat = REACH[State.BALANCE]()
    chat.text("não reconheço essa dívida")
    chat.text("o valor está errado")
    return chat


def already_paid() -> Conversation:
    chat = REACH[State.BALANCE]()
    chat.tap("already_paid")
    chat.text("paguei em outubro")
    return chat


def not_recognised() -> Conversation:
    chat = REACH[State.BALANCE]()
    chat.tap("not_recognised")
    chat.text("nunca comprei aí")
    return chat


def abuse() -> Conversation:
    chat = REACH[State.BALANCE]()
    chat.text("seu lixo")
    chat.text("idiota")
    return chat


def payment_mismatch() -> Conversation:
    chat = REACH[State.AGREEMENT_ACTIVE]()
    chat.send(PaymentConfirmed(900, 1, 10_000, NOW, matches_installment=False))
    return chat


def missed_promise() -> Conversation:
    chat = REACH[State.AGREEMENT_ACTIVE]()
    chat.send(ReminderDue("promise_followup", "2026-11-27", date(2026, 11, 27)))
    return chat


PATHS: dict[str, tuple[Callable[[], Conversation], int]] = {
    "human_requested": (human_requested, 2),
    "not_understood": (not_understood, 0),
    "offer_stalled": (offer_stalled, 0),
    "counter_offer_outside_policy": (counter_offer_outside_policy, 0),
    "dispute": (dispute, 2),
    "already_paid": (already_paid, 1),
    "not_recognised": (not_recognised, 1),
    "abuse": (abuse, 1),
    "payment_mismatch": (payment_mismatch, 1),
    "missed_promise": (missed_promise, 1),
}


def test_every_reason_has_a_path() -> None:
    assert set(PATHS) == REASONS


@pytest.mark.parametrize("reason", sorted(PATHS))
def test_escalation(reason: str) -> None:
    walk, priority = PATHS[reason]
    chat = walk()
    [escalate] = chat.of_type(Escalate)
    assert isinstance(escalate, Escalate)
    assert escalate.reason == reason
    assert escalate.priority == priority
    assert escalate.summary.id == f"escalation.summary.{reason}"
    assert render(escalate.summary, "pt_BR")
    assert chat.current() is State.AWAITING_AGENT
    text = joined(chat.replies())
    assert "pessoa da nossa equipe" in text


def test_highest_priorities_are_a_person_and_a_dispute() -> None:
    top = max(priority for _, priority in PATHS.values())
    assert {r for r, (_, p) in PATHS.items() if p == top} == {"human_requested", "dispute"}


def test_summary_carries_the_debtors_words_and_the_total() -> None:
    chat = counter_offer_outside_policy()
    [escalate] = chat.of_type(Escalate)
    assert isinstance(escalate, Escalate)
    summary = render(escalate.summary, "pt_BR")
    assert "consigo 100 por mês" in summary
    assert "R$ 2.512,80" in summary


def test_too_many_installments_is_outside_policy() -> None:
    chat = REACH[State.CHOOSING_PLAN]()
    chat.text("em 20x")
    [escalate] = chat.of_type(Escalate)
    assert isinstance(escalate, Escalate)
    assert escalate.reason == "counter_offer_outside_policy"


def test_not_understood_count_restarts_after_an_understood_message() -> None:
    chat = REACH[State.BALANCE]()
    chat.text("xpto")
    chat.text("qwerty")
    chat.text("qual meu saldo")
    chat.text("zzz")
    chat.text("abc")
    assert chat.current() is State.BALANCE
    assert not chat.of_type(Escalate)
    chat.text("???!")
    assert chat.current() is State.AWAITING_AGENT


def test_first_abuse_is_answered_calmly_without_escalating() -> None:
    chat = REACH[State.BALANCE]()
    text = joined(chat.text("seu lixo"))
    assert "Entendo que essa situação pode ser chata" in text
    assert chat.current() is State.BALANCE
    assert not chat.of_type(Escalate)


def test_offer_list_is_shown_max_revisits_times_before_escalating() -> None:
    chat = REACH[State.BALANCE]()
    for _ in range(3):
        chat.tap("installments")
        assert chat.current() is State.CHOOSING_PLAN
    chat.tap("installments")
    assert chat.current() is State.AWAITING_AGENT
