from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from dialogs.nlu import INTENTS, Understanding, understand
from dialogs.nlu.cues import CUES, cue_words
from dialogs.nlu.lexicon import KNOWN_WORDS

TODAY = date(2026, 11, 25)


def intent(text: str, locale: str = "pt_BR") -> str:
    return understand(text, locale, today=TODAY).intent


def test_result_is_a_frozen_value_with_a_bounded_confidence() -> None:
    found = understand("quero parcelar", today=TODAY)
    assert isinstance(found, Understanding)
    assert 0.0 <= found.confidence <= 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.intent = "deny"  # type: ignore[misc]


def test_a_repeated_message_means_the_same_and_its_entities_cannot_be_changed() -> None:
    first = understand("posso pagar em 6x", today=TODAY)
    with pytest.raises(TypeError):
        first.entities["installments"] = 2  # type: ignore[index]
    again = understand("posso pagar em 6x", today=TODAY)
    assert again == first
    assert again.entities["installments"] == 6


def test_relative_dates_follow_the_day_even_for_a_repeated_message() -> None:
    friday = understand("pago sexta", today=TODAY).entities["date"]
    next_week = understand("pago sexta", today=date(2026, 11, 28)).entities["date"]
    assert (friday, next_week) == (date(2026, 11, 27), date(2026, 12, 4))


@pytest.mark.parametrize("text", ["PARAR", "SAIR", "STOP", "CANCELAR", "parar", "Sair."])
def test_opt_out_keywords(text: str) -> None:
    assert intent(text) == "opt_out"


@pytest.mark.parametrize(
    "text",
    ["nao quero mais receber mensagens", "para de me mandar msg", "não me mandem mais nada"],
)
def test_opt_out_sentences(text: str) -> None:
    assert intent(text) == "opt_out"


@pytest.mark.parametrize(
    "text", ["atendente", "quero falar com uma pessoa", "quero falar com alguem", "humano"]
)
def test_asking_for_a_person(text: str) -> None:
    assert intent(text) == "human"


def test_counter_offers_carry_their_terms() -> None:
    found = understand("consigo pagar 150 por mês", today=TODAY)
    assert (found.intent, found.entities) == ("counter_offer", {"amount": Decimal("150")})
    found = understand("em 10x", today=TODAY)
    assert (found.intent, found.entities) == ("counter_offer", {"installments": 10})
    assert intent("quero parcelar") == "installments"


def test_promise_to_pay_carries_the_date() -> None:
    found = understand("recebo dia 10", today=TODAY)
    assert (found.intent, found.entities) == ("promise_to_pay", {"date": date(2026, 12, 10)})


def test_already_paid_dates_look_back() -> None:
    found = understand("paguei sexta", today=TODAY)
    assert (found.intent, found.entities) == ("already_paid", {"date": date(2026, 11, 20)})


def test_bare_cpf_number_or_date_is_unknown_with_the_entity() -> None:
    assert understand("529.982.247-25", today=TODAY) == Understanding(
        "unknown", 1.0, {"cpf": "52998224725"}
    )
    assert understand("15/12", today=TODAY).entities == {"date": date(2026, 12, 15)}
    assert understand("300", today=TODAY).entities == {"amount": Decimal("300")}


def test_profanity_is_matched_as_whole_words_only() -> None:
    assert intent("porra") == "abuse"
    assert intent("levei uma porrada da vida, to sem dinheiro") == "cannot_pay"
    assert intent("ja paguei essa porra") == "already_paid"


def test_chat_shorthand_and_missing_accents() -> None:
    assert intent("vc pode me mandar a 2 via pfv") == "second_copy"
    assert intent("n tenho como pagar agr") == "cannot_pay"
    assert intent("qro pagar no pix") == "channel_pix"


def test_english_and_spanish_basics() -> None:
    assert intent("how much do I owe?", "en") == "ask_balance"
    assert intent("I want to talk to a person", "en") == "human"
    assert intent("ya pagué", "es") == "already_paid"
    assert intent("quiero pagar en cuotas", "es") == "installments"


def test_unknown_for_chatter() -> None:
    assert understand("kkkkkk", today=TODAY) == Understanding("unknown", 1.0, {})


def test_every_cue_intent_is_a_public_intent_and_every_cue_word_is_known() -> None:
    for language, cues in CUES.items():
        assert {cue.intent for cue in cues} <= set(INTENTS) - {"unknown"}
        assert cue_words(language) <= KNOWN_WORDS[language]


def test_oversized_input_is_cut_not_fatal() -> None:
    assert understand("pix " * 10_000, today=TODAY).intent == "channel_pix"
