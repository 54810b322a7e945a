"""Ways to bring a conversation into each state, shared by the table-driven tests."""

from __future__ import annotations

from collections.abc import Callable

from dialogs.flow import State
from dialogs.flow.events import AgentClosed
from tests.dialogs.flow.driver import (
    MARCOS_CPF,
    Conversation,
    marcos,
    verified,
    with_agreement,
)


def at_new() -> Conversation:
    return Conversation(directory={MARCOS_CPF: marcos()})


def at_awaiting_cpf() -> Conversation:
    chat = at_new()
    chat.text("oi")
    return chat


def at_verifying() -> Conversation:
    chat = Conversation(invites={"tok": ("ok", marcos())})
    chat.start("tok")
    return chat


def at_locked() -> Conversation:
    chat = at_verifying()
    for guess in ("111", "222", "333"):
        chat.text(guess)
    return chat


def at_balance() -> Conversation:
    return verified()


def at_choosing_plan() -> Conversation:
    chat = verified()
    chat.tap("installments")
    return chat


def at_confirming_counter() -> Conversation:
    chat = at_choosing_plan()
    chat.text("consigo uns 300 por mês")
    return chat


def at_promising() -> Conversation:
    chat = verified()
    chat.text("não consigo pagar agora")
    return chat


def at_choosing_channel() -> Conversation:
    chat = at_choosing_plan()
    chat.tap("plan:6")
    return chat


def at_confirming_agreement() -> Conversation:
    chat = at_choosing_channel()
    chat.tap("ch:pix")
    return chat


def at_agreement_active() -> Conversation:
    return with_agreement()


def at_collecting_dispute() -> Conversation:
    chat = verified()
    chat.tap("not_recognised")
    return chat


def at_awaiting_agent() -> Conversation:
    chat = verified()
    chat.tap("human")
    return chat


def at_closed() -> Conversation:
    chat = at_awaiting_agent()
    chat.send(AgentClosed())
    return chat


REACH: dict[State, Callable[[], Conversation]] = {
    State.NEW: at_new,
    State.AWAITING_CPF: at_awaiting_cpf,
    State.VERIFYING: at_verifying,
    State.LOCKED: at_locked,
    State.BALANCE: at_balance,
    State.CHOOSING_PLAN: at_choosing_plan,
    State.CONFIRMING_COUNTER: at_confirming_counter,
    State.PROMISING: at_promising,
    State.CHOOSING_CHANNEL: at_choosing_channel,
    State.CONFIRMING_AGREEMENT: at_confirming_agreement,
    State.AGREEMENT_ACTIVE: at_agreement_active,
    State.COLLECTING_DISPUTE: at_collecting_dispute,
    State.AWAITING_AGENT: at_awaiting_agent,
    State.CLOSED: at_closed,
}
