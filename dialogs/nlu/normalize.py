"""Turn a chat message into plain lowercase ASCII tokens the rest of the NLU can match.

Debtors type on phones: no accents, stretched letters ("simmm"), shorthand ("vc", "pq", "qro")
and typos ("pacelar"). Matching rules against every variant would be endless, so everything is
brought to one canonical spelling first. Work is cached per distinct word, which keeps
`understand()` fast on real traffic where the same words repeat all day.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from dialogs.nlu.lexicon import KNOWN_WORDS, SHORTHAND, language_of
from dialogs.nlu.spelling import correct

_TOKEN = re.compile(r"\d+(?:[./,-]\d+)*|[a-z]+")
_STRETCHED = re.compile(r"([a-z])\1{2,}")
_DOUBLED = re.compile(r"([a-z])\1")
_EMOJI_WORDS = {"👍": " ok ", "👌": " ok ", "🙏": " obrigado ", "👋": " oi "}


@dataclass(frozen=True, slots=True)
class Normalized:
    """A message as folded text (keeps digits and punctuation) and canonical tokens."""

    folded: str
    tokens: tuple[str, ...]


def fold(text: str) -> str:
    """Lowercase and strip accents ("Não É" → "nao e"); keeps punctuation for dates and CPFs."""
    for emoji, word in _EMOJI_WORDS.items():
        if emoji in text:
            text = text.replace(emoji, word)
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def canonical_word(word: str, language: str) -> tuple[str, ...]:
    """One typed word → its canonical spelling (possibly several words, e.g. "pfv")."""
    if word.isdigit() or word[0].isdigit():
        return (word,)
    known = KNOWN_WORDS[language]
    shorthand = SHORTHAND[language]
    candidates = [word]
    squeezed = _STRETCHED.sub(r"\1", word)
    if squeezed != word:
        candidates.append(squeezed)
    candidates.append(_DOUBLED.sub(r"\1", squeezed))
    for candidate in candidates:
        if candidate in shorthand:
            return shorthand[candidate]
        if candidate in known:
            return (candidate,)
    fixed = correct(squeezed, language)
    return (fixed,) if fixed else (squeezed,)


def normalize(text: str, locale: str = "pt_BR") -> Normalized:
    """Fold the text and map each word to its canonical spelling for `locale`."""
    language = language_of(locale)
    folded = fold(text)
    tokens: list[str] = []
    for word in _TOKEN.findall(folded):
        tokens.extend(canonical_word(word, language))
    return Normalized(folded=folded, tokens=tuple(tokens))
