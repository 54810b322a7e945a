"""Message ids and catalogs agree, every emitted message renders, and the tone stays kind.

The tour below walks the flow through every message it can say (each channel, plans with a
down payment, several debts…). Rendering each emitted message in every locale proves that
every placeholder is a parameter the flow really supplies.
"""

from __future__ import annotations

import re
import string
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.i18n import LOCALES, catalog, render
from dialogs import messages
from dialogs.flow import State
from dialogs.flow.actions import Message, Money, ParamValue
from dialogs.flow.events import (
    AgentClaimed,
    AgentProposedPlan,
    MediaReceived,
    PaymentConfirmed,
    ReminderDue,
)
from dialogs.flow.snapshots import DebtSnapshot
from dialogs.negotiation.policy import default_policy, load_policy
from tests.dialogs.flow import driver
from tests.dialogs.flow.driver import NOW, Conversation, marcos, verified, with_agreement
from tests.dialogs.flow.scenarios import REACH
from tests.dialogs.flow.test_escalation import PATHS

BOT = Path(__file__).resolve().parents[2] / "bot"
POLICY_HEAD = """
[creditor]
name = "Loja Exemplo Ltda"
document = "12.345.678/0001-95"
address = "Rua Exemplo, 100"
pix_key = "12345678000195"
pix_city = "SAO PAULO"
lists_debtors = true
"""
DOWN_PAYMENT = load_policy(POLICY_HEAD + "\n[offers]\nmin_down_payment_percent = 20\n")
BIRTH_DATE = load_policy(POLICY_HEAD + '\n[verification]\nmethod = "birth_date"\n')
THREATS = ("protesto", "protestar", "spc", "serasa", "último aviso", "ultimo aviso", "processo",
           "justiça", "justica", "penhora", "polícia", "policia", "cadeia")  # fmt: skip


def _tour() -> list[Message]:
    driver.EMITTED.clear()
    for reach in REACH.values():
        chat = reach()
        chat.text("ajuda")
        chat.send(MediaReceived("sticker"))
        chat.text("xpto qwerty")
        chat.text("PARAR")
    for walk, _ in PATHS.values():
        walk()
    # Every channel: summaries for plans, cash and down payments; channel changes.
    for channel in ("pix", "boleto", "card"):
        chat = verified()
        chat.tap("installments")
        chat.tap("plan:3")
        chat.tap(f"ch:{channel}")
        chat = verified()
        chat.tap("pay_full")
        chat.tap(f"ch:{channel}")
        chat = verified(DOWN_PAYMENT)
        chat.tap("installments")
        chat.tap("plan:6")
        chat.tap(f"ch:{channel}")
        chat = with_agreement()
        chat.tap(f"ch:{channel}")
    # Several debts: one partly paid, one not yet due; then nobody owes anything.
    several = (
        DebtSnapshot(1, "A-1", "Geladeira", date(2026, 8, 1), 150_000, paid_cents=20_000),
        DebtSnapshot(2, "A-2", "Celular", date(2026, 12, 20), 90_000),
    )
    verified(debts=several)
    verified(debts=())
    chat = verified(debts=(DebtSnapshot(3, "A-3", "Fone", date(2026, 12, 20), 30_000),))
    chat.tap("pay_full")  # not late yet: no discount
    chat = verified(debts=(DebtSnapshot(4, "A-4", "Fone", date(2026, 11, 1), 30_000),))
    chat.tap("installments")
    chat.text("em 8x")  # not allowed for a small debt: the nearest count is proposed
    # Verification variants and invites.
    chat = Conversation(policy=BIRTH_DATE, invites={"t": ("ok", marcos())})
    chat.start("t")
    Conversation(invites={"t": ("expired", None)}).start("t")
    chat = Conversation(directory={})
    chat.text("oi")
    chat.text("529.982.247-26")
    # Promises: beyond the limit, unclear date.
    chat = REACH[State.PROMISING]()
    chat.text("vou pagar no dia 20 de dezembro")
    chat.tap("other_date")
    chat.text("não sei")
    chat.text("vou pagar dia 2")
    chat = REACH[State.CHOOSING_PLAN]()
    chat.tap("plan:other")
    chat = with_agreement()
    chat.text("qual o saldo")
    chat.tap("second_copy")
    # Agreement: no agreement on file, agent claims, payments.
    chat = verified()
    chat.tap("installments")
    chat.tap("plan:2")
    chat.tap("ch:pix")
    chat.tap("confirm")
    chat.text("qual o saldo")
    chat.tap("human")
    chat.send(ReminderDue("escalation_wait"))
    chat.later(hours=12)
    chat.send(ReminderDue("escalation_wait"))
    chat.send(AgentClaimed("Ana"))
    plan = chat.context.plan
    assert plan is not None
    chat.send(AgentProposedPlan(plan, "pix", "Ana"))
    chat = with_agreement(load_policy(POLICY_HEAD), count=2)
    agreement = chat.context.active_agreement
    assert agreement is not None
    chat.send(PaymentConfirmed(900, 1, 125_640, NOW))
    paid = tuple(replace(i, status="paid") if i.number == 1 else i for i in agreement.installments)
    chat.refresh(marcos(agreements=(replace(agreement, installments=paid),)))
    chat.send(PaymentConfirmed(900, 2, 125_640, NOW))
    # An installment late past the grace days broke the agreement (nothing paid / one paid).
    for paid_first in (False, True):
        chat = with_agreement(count=2)
        agreement = chat.context.active_agreement
        assert agreement is not None
        items = tuple(
            replace(i, status="paid", paid_cents=i.amount_cents)
            if paid_first and i.number == 1
            else i
            for i in agreement.installments
        )
        chat.refresh(marcos(agreements=(replace(agreement, status="broken", installments=items),)))
        chat.send(ReminderDue("installment_check", f"{agreement.agreement_id}:2"))
    # Proactive messages (the cadence): each installment step to a verified chat, the
    # invitation to an unverified one, outreach, and a promise's day and its follow-up.
    chat = with_agreement()
    agreement = chat.context.active_agreement
    assert agreement is not None
    due = agreement.installments[0].due_date
    for step in default_policy().cadence.installment_steps:
        chat.now = datetime.combine(due + timedelta(days=step.offset_days), time(12), UTC)
        chat.send(
            ReminderDue("installment_reminder", f"{agreement.agreement_id}:1:{step.offset_days}")
        )
    stranger = Conversation()
    stranger.refresh(marcos(agreements=(agreement,)))
    stranger.send(ReminderDue("installment_reminder", f"{agreement.agreement_id}:1:-3"))
    for outreach in default_policy().cadence.outreach_steps:
        stranger.send(ReminderDue("outreach", f"{outreach.after_days}:2026-11-25"))
    chat = verified()
    chat.send(ReminderDue("promise_reminder", "7", date(2026, 11, 30)))
    chat.send(ReminderDue("promise_followup", "2026-11-30", date(2026, 11, 30)))
    PATHS["missed_promise"][0]()
    return list(driver.EMITTED)


@pytest.fixture(scope="module")
def emitted() -> list[Message]:
    return _tour()


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_ids_are_dotted_snake_case() -> None:
    for message_id in messages.ALL:
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*", message_id), message_id


@pytest.mark.parametrize("locale", LOCALES)
def test_every_id_has_text_and_every_entry_is_used(locale: str) -> None:
    texts = catalog(locale)
    assert set(texts) == messages.ALL


@pytest.mark.parametrize("locale", ["en", "es"])
def test_translations_use_the_same_placeholders_as_pt_br(locale: str) -> None:
    for message_id, text in catalog(locale).items():
        assert _placeholders(text) == _placeholders(catalog("pt_BR")[message_id]), message_id


def test_the_flow_emits_every_message(emitted: list[Message]) -> None:
    assert {message.id for message in emitted} == messages.FLOW_IDS


def test_runtime_messages_are_used_by_the_runtime() -> None:
    sources = "\n".join(path.read_text(encoding="utf-8") for path in BOT.rglob("*.py"))
    for message_id in messages.RUNTIME_IDS:
        assert f'"{message_id}"' in sources, message_id


def test_runtime_messages_render_with_the_runtime_params() -> None:
    params: dict[str, ParamValue] = {
        "number": 1,
        "count": 6,
        "amount": Money(41_880),
        "due": date(2026, 12, 5),
        "link": "https://pay.example/1/1",
    }
    for locale in LOCALES:
        for message_id in messages.RUNTIME_IDS:
            assert "{" not in render(Message(message_id, params), locale)
    caption = render(Message(messages.RUNTIME["pix_caption"], params), "pt_BR")
    assert caption.startswith("PIX da parcela 1/6: R$ 418,80, vence em 05/12/2026.")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_emitted_message_renders(emitted: list[Message], locale: str) -> None:
    for message in emitted:
        text = render(message, locale)
        assert "{" not in text, (message.id, text)
        assert _placeholders(catalog(locale)[message.id]) <= set(message.params), message.id


@pytest.mark.parametrize("locale", LOCALES)
def test_tone_no_threats_no_shouting(locale: str) -> None:
    for message_id, text in catalog(locale).items():
        lowered = text.lower()
        for word in THREATS:
            assert not re.search(rf"\b{re.escape(word)}\b", lowered), (message_id, word)
        assert "!!" not in text, message_id
        assert not re.search(r"\b[A-ZÁÉÍÓÚÃÕÇ]{5,}\b", text), message_id  # no SHOUTING
        assert sum(1 for char in text if ord(char) > 0x1F000) <= 1, message_id  # ≤ 1 emoji


def test_nothing_about_money_before_verification() -> None:
    before = [
        messages.GREETING_UNKNOWN,
        messages.GREETING_KNOWN,
        messages.VERIFY_FAILED,
        messages.VERIFY_LOCKED,
        messages.VERIFY_STILL_LOCKED,
        messages.INVITE_INVALID,
    ]
    for message_id in before:
        text = catalog("pt_BR")[message_id]
        assert "R$" not in text
        assert "{total}" not in text
        assert "dívida" not in text


def test_default_policy_loads() -> None:
    assert default_policy().creditor.name == "Loja Exemplo Ltda"
