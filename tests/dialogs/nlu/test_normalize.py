from __future__ import annotations

import pytest

from dialogs.nlu.normalize import fold, normalize


def test_fold_strips_accents_and_case_but_keeps_digits_and_punctuation() -> None:
    assert fold("Não É NADA, R$ 1.234,56 até 15/12") == "nao e nada, r$ 1.234,56 ate 15/12"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("vc pq n qro", "voce porque nao quero"),
        ("blz tb", "beleza tambem"),
        ("parcelar em 3x pfv", "parcelar em 3 x por favor"),
        ("vlw msg td hj amnh", "valeu mensagem tudo hoje amanha"),
        ("simmmm", "sim"),
        ("obrigadoo", "obrigado"),
        ("oiii", "oi"),
        ("pacelar", "parcelar"),
        ("atendemte", "atendente"),
        ("ja pagei", "ja paguei"),
    ],
)
def test_shorthand_stretching_and_typos_become_canonical(typed: str, canonical: str) -> None:
    assert " ".join(normalize(typed).tokens) == canonical


def test_ordinary_words_are_not_corrected_into_keywords() -> None:
    assert normalize("to dirigindo agora").tokens == ("to", "dirigindo", "agora")
    assert normalize("quinta-feira").tokens == ("quinta", "feira")


def test_emoji_that_mean_words() -> None:
    assert normalize("👍").tokens == ("ok",)
