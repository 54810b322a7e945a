"""`understand()`: one debtor message → intent, confidence and entities. Pure and fast."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from dialogs.nlu.entities import extract
from dialogs.nlu.intents import classify
from dialogs.nlu.lexicon import language_of
from dialogs.nlu.normalize import normalize

_MAX_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Understanding:
    """What a message means to the flow.

    `confidence` is a score in [0, 1] (not money, so float is fine). `entities` may hold
    `amount` (Decimal), `installments` (int), `date` (date) and `cpf` (11 digits, str).
    """

    intent: str
    confidence: float
    entities: dict[str, object] = field(default_factory=dict)


def understand(text: str, locale: str = "pt_BR", *, today: date) -> Understanding:
    """Classify a debtor's free text; `today` anchors relative dates ("sexta", "dia 10")."""
    language = language_of(locale)
    normalized = normalize(text[:_MAX_CHARS], locale)
    entities = extract(normalized.tokens, normalized.folded, today, language)
    intent, confidence = classify(normalized.tokens, language, entities.keys())
    if intent == "already_paid" and "date" in entities:
        # "paguei dia 20" looks back: resolve the date into the past instead.
        entities = extract(normalized.tokens, normalized.folded, today, language, past=True)
    return Understanding(intent=intent, confidence=confidence, entities=entities)
