"""`understand()`: one debtor message → intent, confidence and entities. Pure and fast."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from types import MappingProxyType

from dialogs.nlu.entities import extract
from dialogs.nlu.intents import classify
from dialogs.nlu.lexicon import language_of
from dialogs.nlu.normalize import normalize

_MAX_CHARS = 2000
# Whole messages repeat all day in a guided flow ("sim", "pix", "6x", "obrigado"): a message
# seen before costs a dictionary lookup instead of ~50 µs of normalising and scoring.
_REMEMBERED_MESSAGES = 4096


@dataclass(frozen=True, slots=True)
class Understanding:
    """What a message means to the flow.

    `confidence` is a score in [0, 1] (not money, so float is fine). `entities` may hold
    `amount` (Decimal), `installments` (int), `date` (date) and `cpf` (11 digits, str).
    """

    intent: str
    confidence: float
    entities: Mapping[str, object] = field(default_factory=dict)


def understand(text: str, locale: str = "pt_BR", *, today: date) -> Understanding:
    """Classify a debtor's free text; `today` anchors relative dates ("sexta", "dia 10").

    Results are shared between equal messages, so their entities are read-only."""
    return _understand(text[:_MAX_CHARS], locale, today)


@lru_cache(maxsize=_REMEMBERED_MESSAGES)
def _understand(text: str, locale: str, today: date) -> Understanding:
    language = language_of(locale)
    normalized = normalize(text, locale)
    entities = extract(normalized.tokens, normalized.folded, today, language)
    intent, confidence = classify(normalized.tokens, language, entities.keys())
    if intent == "already_paid" and "date" in entities:
        # "paguei dia 20" looks back: resolve the date into the past instead.
        entities = extract(normalized.tokens, normalized.folded, today, language, past=True)
    return Understanding(intent, confidence, MappingProxyType(entities))
