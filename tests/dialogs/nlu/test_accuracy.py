"""The labelled data set: big and varied enough, and `understand()` right on the held-out part."""

from __future__ import annotations

from collections import Counter

from dialogs.nlu import INTENTS
from tests.dialogs.nlu.dataset import load, predict


def test_data_set_is_large_and_covers_every_intent_in_both_splits() -> None:
    examples = load()
    assert len(examples) >= 600
    test_share = sum(e.split == "test" for e in examples) / len(examples)
    assert 0.30 <= test_share <= 0.40
    for split in ("train", "test"):
        assert {e.intent for e in examples if e.split == split} == set(INTENTS)
    assert {e.locale for e in examples} == {"pt_BR", "en", "es"}


def test_intent_accuracy_on_held_out_messages_is_at_least_95_percent() -> None:
    examples = load("test")
    wrong: Counter[tuple[str, str]] = Counter()
    for example in examples:
        intent, _ = predict(example)
        if intent != example.intent:
            wrong[(example.intent, intent)] += 1
    accuracy = 1 - sum(wrong.values()) / len(examples)
    assert accuracy >= 0.95, wrong.most_common()


def test_entities_are_exact_on_held_out_messages_that_carry_them() -> None:
    with_entities = [e for e in load("test") if e.entities]
    assert len(with_entities) >= 30
    exact = sum(predict(e)[1] == e.entities for e in with_entities)
    assert exact / len(with_entities) >= 0.95


def test_messages_without_entities_get_none_invented() -> None:
    without = [e for e in load() if not e.entities]
    invented = [e.text for e in without if predict(e)[1]]
    assert len(invented) <= len(without) * 0.02, invented
