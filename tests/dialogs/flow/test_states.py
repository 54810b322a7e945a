"""Table-driven: every state answers its own triggers and the ones every state shares."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialogs.flow import State
from dialogs.flow.actions import (
    ChangePaymentChannel,
    CloseConversation,
    Escalate,
    RecordDispute,
    RecordPromise,
    Reply,
    ScheduleJob,
    SendPaymentInstructions,
    SetOptOut,
)
from dialogs.flow.events import (
    AgentClaimed,
    AgentReleased,
    ButtonPressed,
    Event,
    MediaReceived,
    OptOutSignal,
    PaymentConfirmed,
    StartRequested,
    TextReceived,
)
from dialogs.negotiation.policy import default_policy, load_policy
from tests.dialogs.flow.driver import NOW, joined, marcos, verified, with_agreement
from tests.dialogs.flow.scenarios import REACH


def test_every_state_has_a_way_to_get_there() -> None:
    assert set(REACH) == set(State)
    for state, reach in REACH.items():
        assert reach().state is state


# (from state, event, expected state, a phrase the debtor reads)
ROWS: list[tuple[State, Event, State, str]] = [
    (State.NEW, TextReceived("bom dia"), State.AWAITING_CPF, "preciso confirmar que é você"),
    (State.AWAITING_CPF, TextReceived("não sei"), State.AWAITING_CPF, "não entendi"),
    (State.VERIFYING, TextReceived("529"), State.BALANCE, "Total atualizado: R$ 2.512,80"),
    (State.LOCKED, TextReceived("oi"), State.LOCKED, "pausada"),
    (State.BALANCE, ButtonPressed("installments"), State.CHOOSING_PLAN, "opções para você"),
    (State.BALANCE, TextReceived("qual meu saldo"), State.BALANCE, "Total atualizado"),
    (State.BALANCE, ButtonPressed("already_paid"), State.COLLECTING_DISPUTE, "quando e como"),
    (State.BALANCE, TextReceived("não posso agora"), State.PROMISING, "Quando você acha"),
    (State.CHOOSING_PLAN, ButtonPressed("plan:other"), State.CHOOSING_PLAN, "Quanto você"),
    (State.CHOOSING_PLAN, TextReceived("em 6x"), State.CHOOSING_CHANNEL, "Como prefere pagar?"),
    (State.CHOOSING_PLAN, TextReceived("em 10x"), State.CHOOSING_CHANNEL, "Como prefere pagar?"),
    (State.CHOOSING_PLAN, ButtonPressed("plan:99"), State.CHOOSING_PLAN, "opções para você"),
    (State.CONFIRMING_COUNTER, TextReceived("sim"), State.CHOOSING_CHANNEL, "Como prefere"),
    (State.CONFIRMING_COUNTER, ButtonPressed("other_options"), State.CHOOSING_PLAN, "opções"),
    (State.PROMISING, TextReceived("vou pagar dia 2"), State.BALANCE, "02/12/2026"),
    (
        State.PROMISING,
        TextReceived("vou pagar no dia 20 de dezembro"),
        State.PROMISING,
        "10/12/2026",
    ),
    (State.CHOOSING_CHANNEL, TextReceived("boleto"), State.CONFIRMING_AGREEMENT, "por boleto"),
    (State.CHOOSING_CHANNEL, ButtonPressed("change"), State.CHOOSING_PLAN, "opções"),
    (State.CONFIRMING_AGREEMENT, ButtonPressed("change"), State.CHOOSING_PLAN, "opções"),
    (State.CONFIRMING_AGREEMENT, TextReceived("cartão"), State.CONFIRMING_AGREEMENT, "cartão"),
    (State.AGREEMENT_ACTIVE, TextReceived("qual o saldo"), State.AGREEMENT_ACTIVE, "faltam 6"),
    (State.AGREEMENT_ACTIVE, TextReceived("quando vence"), State.AGREEMENT_ACTIVE, "05/12/2026"),
    (State.AGREEMENT_ACTIVE, ButtonPressed("second_copy"), State.AGREEMENT_ACTIVE, "parcela 1"),
    (State.COLLECTING_DISPUTE, TextReceived("nunca comprei"), State.AWAITING_AGENT, "equipe"),
    (State.AWAITING_AGENT, TextReceived("alô?"), State.AWAITING_AGENT, "já vai te responder"),
    (State.CLOSED, TextReceived("oi"), State.BALANCE, "Olá de novo, Marcos!"),
]


@pytest.mark.parametrize(
    ("start", "event", "expected", "phrase"),
    ROWS,
    ids=[f"{r[0].value}-{getattr(r[1], 'text', getattr(r[1], 'choice', ''))}" for r in ROWS],
)
def test_state_row(start: State, event: Event, expected: State, phrase: str) -> None:
    chat = REACH[start]()
    chat.send(event)
    assert chat.current() is expected
    assert phrase.lower() in joined(chat.replies()).lower()


ALWAYS = [s for s in State if s is not State.AWAITING_AGENT]


@pytest.mark.parametrize("start", list(State))
def test_opt_out_works_in_every_state(start: State) -> None:
    chat = REACH[start]()
    text = joined(chat.text("PARAR"))
    assert chat.of_type(SetOptOut) == [SetOptOut(True)]
    assert 'Se quiser retomar, é só escrever "oi"' in text
    assert chat.current() is start
    assert chat.context.opted_out


@pytest.mark.parametrize("start", list(State))
def test_out_of_band_opt_out_signal(start: State) -> None:
    chat = REACH[start]()
    chat.send(OptOutSignal(opted_out=True))
    assert chat.of_type(SetOptOut) == [SetOptOut(True)]
    chat.send(OptOutSignal(opted_out=False))
    assert chat.of_type(SetOptOut) == [SetOptOut(False)]
    assert not chat.context.opted_out


@pytest.mark.parametrize("start", [s for s in ALWAYS if s is not State.LOCKED])
def test_media_gets_a_polite_text_only_answer(start: State) -> None:
    chat = REACH[start]()
    chat.send(MediaReceived("sticker"))
    assert chat.replies() == [
        "Por enquanto, só consigo ler texto por aqui. Pode me escrever, por favor?"
    ]
    assert chat.current() is start


@pytest.mark.parametrize(
    "start", [s for s in ALWAYS if s not in (State.LOCKED, State.NEW, State.CLOSED)]
)
def test_help_explains_and_re_asks_the_question(start: State) -> None:
    chat = REACH[start]()
    chat.text("ajuda")
    replies = chat.replies()
    assert replies[0].startswith("Posso te ajudar")
    assert len(replies) >= 2  # the state's own question comes right after
    assert chat.current() is start


@pytest.mark.parametrize("start", [s for s in ALWAYS if s is not State.LOCKED])
def test_menu_goes_back_to_balance_when_verified_else_greeting(start: State) -> None:
    chat = REACH[start]()
    was_verified = chat.context.verified
    chat.text("menu")
    if was_verified:
        assert chat.current() in (State.BALANCE, State.AGREEMENT_ACTIVE)
    else:
        assert chat.current() in (State.AWAITING_CPF, State.VERIFYING)
        assert "R$" not in joined(chat.replies())


def test_slash_start_restarts_like_menu() -> None:
    chat = REACH[State.CONFIRMING_AGREEMENT]()
    chat.send(StartRequested())
    assert chat.current() is State.BALANCE
    assert "Total atualizado" in joined(chat.replies())


@pytest.mark.parametrize(
    "start", [State.BALANCE, State.CHOOSING_PLAN, State.CHOOSING_CHANNEL, State.AGREEMENT_ACTIVE]
)
def test_unknown_input_rephrase_hint_and_buttons_first(start: State) -> None:
    chat = REACH[start]()
    chat.text("xpto qwerty")
    replies = [a for a in chat.actions if isinstance(a, Reply)]
    assert replies[0].message.id == "general.not_understood"
    assert replies[-1].choices  # the state's buttons again
    assert chat.current() is start


def test_awaiting_agent_answers_once_then_stays_silent() -> None:
    chat = REACH[State.AWAITING_AGENT]()
    assert chat.text("oi?") == [
        "Uma pessoa da nossa equipe já vai te responder por aqui. Obrigada pela paciência!"
    ]
    assert chat.text("quero parcelar") == []
    assert chat.text("ajuda") == []
    chat.send(MediaReceived("audio"))
    assert chat.actions == []
    assert chat.current() is State.AWAITING_AGENT


def test_agent_claim_release_and_resume() -> None:
    chat = REACH[State.AWAITING_AGENT]()
    chat.send(AgentClaimed("Ana"))
    assert chat.replies() == ["Um atendente vai continuar a conversa com você."]
    chat.send(AgentReleased(resume_at="choosing_plan"))
    assert chat.current() is State.CHOOSING_PLAN
    assert ("plan:6", "6x de R$ 418,80") in chat.buttons()


def test_agent_release_to_a_verified_state_needs_verification() -> None:
    chat = REACH[State.AWAITING_CPF]()
    chat.tap("human")
    chat.send(AgentReleased(resume_at="balance"))
    assert chat.current() is State.NEW


def test_change_channel_and_payments_on_an_active_agreement() -> None:
    chat = REACH[State.AGREEMENT_ACTIVE]()
    chat.text("quero pagar no boleto")
    assert ChangePaymentChannel(900, "boleto") in chat.actions
    assert SendPaymentInstructions("boleto", 900) in chat.actions

    chat.send(PaymentConfirmed(900, 1, 41_880, NOW))
    assert chat.replies() == [
        "Recebemos o pagamento da parcela 1 (R$ 418,80). Obrigada! Faltam 5 parcela(s), "
        "somando R$ 2.094,00; a próxima vence em 05/01/2027."
    ]
    assert chat.current() is State.AGREEMENT_ACTIVE


def test_last_payment_completes_and_closes() -> None:
    chat = REACH[State.AGREEMENT_ACTIVE]()
    agreement = chat.context.active_agreement
    assert agreement is not None
    paid = tuple(replace(i, status="paid") if i.number < 6 else i for i in agreement.installments)
    chat.refresh(marcos(agreements=(replace(agreement, installments=paid),)))
    chat.send(PaymentConfirmed(900, 6, 41_880, NOW))
    assert "O seu acordo está quitado" in joined(chat.replies())
    assert CloseConversation() in chat.actions
    assert chat.current() is State.CLOSED


def test_last_payment_mentions_listing_removal_when_creditor_lists_debtors() -> None:
    policy = default_policy().model_copy(
        update={"creditor": default_policy().creditor.model_copy(update={"lists_debtors": True})}
    )
    chat = with_agreement(policy, count=2)
    agreement = chat.context.active_agreement
    assert agreement is not None
    paid = tuple(replace(i, status="paid") if i.number == 1 else i for i in agreement.installments)
    chat.refresh(marcos(agreements=(replace(agreement, installments=paid),)))
    chat.send(PaymentConfirmed(900, 2, 125_640, NOW))
    assert "5 dias úteis" in joined(chat.replies())


def test_promise_within_limit_is_recorded_with_a_reminder_job() -> None:
    chat = REACH[State.BALANCE]()
    text = joined(chat.text("posso pagar dia 30"))
    [promise] = chat.of_type(RecordPromise)
    [job, followup] = chat.of_type(ScheduleJob)
    assert isinstance(promise, RecordPromise)
    assert isinstance(job, ScheduleJob)
    assert isinstance(followup, ScheduleJob)
    assert promise.due.isoformat() == "2026-11-30"
    assert job.kind == "promise_reminder"
    assert job.key == "promise:7:2026-11-30"
    assert job.run_at.date().isoformat() == "2026-11-30"
    assert job.run_at.tzinfo is not None
    # and a check-in the day after (the runtime drops it if the debtor paid)
    assert followup.kind == "promise_followup"
    assert followup.key == "promise_followup:7:2026-11-30"
    assert followup.run_at.date().isoformat() == "2026-12-01"
    assert "30/11/2026" in text
    assert chat.current() is State.BALANCE


def test_promise_beyond_the_limit_proposes_the_limit() -> None:
    chat = REACH[State.PROMISING]()
    assert "10/12/2026" in joined(chat.text("vou pagar no dia 20 de dezembro"))
    assert chat.buttons() == [("yes", "Sim"), ("other_date", "Outra data")]
    chat.tap("yes")
    [promise] = chat.of_type(RecordPromise)
    assert isinstance(promise, RecordPromise)
    assert promise.due.isoformat() == "2026-12-10"


def test_long_dispute_message_is_recorded_without_asking_again() -> None:
    chat = REACH[State.BALANCE]()
    chat.text("isso ai ta errado, eu ja paguei metade")
    [dispute] = chat.of_type(RecordDispute)
    assert isinstance(dispute, RecordDispute)
    assert dispute.kind in ("already_paid", "dispute")  # either reading gets to a person
    assert dispute.description == "isso ai ta errado, eu ja paguei metade"
    assert chat.current() is State.AWAITING_AGENT
    assert "de segunda a sexta, das 8h às 18h" in joined(chat.replies())
    assert chat.of_type(Escalate)


def test_a_single_payment_channel_skips_the_channel_question() -> None:
    policy = load_policy(
        '[creditor]\nname = "Loja"\ndocument = "12.345.678/0001-95"\naddress = "Rua 1"\n'
        'pix_key = "x"\npix_city = "SAO PAULO"\n[channels]\npayment = ["boleto"]\n'
    )
    chat = verified(policy)
    chat.tap("installments")
    summary = joined(chat.tap("plan:3"))
    assert chat.current() is State.CONFIRMING_AGREEMENT
    assert "pagamento por boleto" in summary
    chat.tap("ch:pix")  # not enabled: asked again, never accepted
    assert chat.context.payment_channel == "boleto"
