"""Score every intent from the cue table and pick the winner.

Cues are compiled once into small token matchers and indexed by the word they start with,
so a message only tries the few cues its own words can start — that is what keeps
`understand()` at tens of thousands of messages per second.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache

from dialogs.nlu.cues import CUES, Cue
from dialogs.nlu.numbers import is_number_word

INTENTS = (
    "greet",
    "affirm",
    "deny",
    "pay_full",
    "installments",
    "ask_balance",
    "ask_details",
    "already_paid",
    "dispute",
    "cannot_pay",
    "promise_to_pay",
    "counter_offer",
    "human",
    "opt_out",
    "channel_pix",
    "channel_boleto",
    "channel_card",
    "second_copy",
    "thanks",
    "abuse",
    "unknown",
)
# Ties go to the earlier intent: a right the debtor exercises (opt-out, a person) first,
# then what changes the conversation, then politeness.
PRIORITY = (
    "opt_out",
    "human",
    "already_paid",
    "dispute",
    "second_copy",
    "counter_offer",
    "promise_to_pay",
    "cannot_pay",
    "installments",
    "pay_full",
    "channel_pix",
    "channel_boleto",
    "channel_card",
    "abuse",
    "ask_details",
    "ask_balance",
    "deny",
    "affirm",
    "thanks",
    "greet",
)
_RANK = {intent: rank for rank, intent in enumerate(PRIORITY)}
_MIN_SCORE = 1.0
_EXTRA_CUE_BONUS = 0.1
_MAX_SKIP = 3


@dataclass(frozen=True, slots=True)
class _Slot:
    words: frozenset[str]
    prefixes: tuple[str, ...]
    number: bool
    optional: bool
    skip: bool


@dataclass(frozen=True, slots=True)
class _Matcher:
    cue: Cue
    slots: tuple[_Slot, ...]
    at_start: bool
    at_end: bool


def _slot(part: str) -> _Slot:
    if part == "..":
        return _Slot(frozenset(), (), number=False, optional=False, skip=True)
    optional = part.endswith("?")
    alternatives = part.rstrip("?").split("|")
    words = frozenset(a for a in alternatives if not a.endswith("*") and a != "#num")
    prefixes = tuple(a[:-1] for a in alternatives if a.endswith("*"))
    return _Slot(words, prefixes, number="#num" in alternatives, optional=optional, skip=False)


def _compile(cue: Cue) -> _Matcher:
    pattern = cue.pattern
    at_start = pattern.startswith("^")
    at_end = pattern.endswith("$")
    slots = tuple(_slot(part) for part in pattern.strip("^$").split())
    return _Matcher(cue, slots, at_start, at_end)


def _is_number(token: str, language: str) -> bool:
    return token[0].isdigit() or is_number_word(token, language)


def _fits(slot: _Slot, token: str, language: str) -> bool:
    return (
        token in slot.words
        or (slot.number and _is_number(token, language))
        or any(token.startswith(prefix) for prefix in slot.prefixes)
    )


def _matches_from(
    matcher: _Matcher, slot_at: int, tokens: tuple[str, ...], at: int, language: str
) -> bool:
    if slot_at == len(matcher.slots):
        return not matcher.at_end or at == len(tokens)
    slot = matcher.slots[slot_at]
    if slot.skip:
        return any(
            _matches_from(matcher, slot_at + 1, tokens, next_at, language)
            for next_at in range(at, min(at + _MAX_SKIP, len(tokens)) + 1)
        )
    if (
        at < len(tokens)
        and _fits(slot, tokens[at], language)
        and _matches_from(matcher, slot_at + 1, tokens, at + 1, language)
    ):
        return True
    return slot.optional and _matches_from(matcher, slot_at + 1, tokens, at, language)


@dataclass(frozen=True, slots=True)
class _Index:
    by_word: Mapping[str, tuple[_Matcher, ...]]
    by_prefix: Mapping[str, tuple[_Matcher, ...]]
    prefix_lengths: tuple[int, ...]
    by_number: tuple[_Matcher, ...]
    anywhere: tuple[_Matcher, ...]


@cache
def _index(language: str) -> _Index:
    by_word: dict[str, list[_Matcher]] = defaultdict(list)
    by_prefix: dict[str, list[_Matcher]] = defaultdict(list)
    by_number: list[_Matcher] = []
    anywhere: list[_Matcher] = []
    for cue in CUES[language]:
        matcher = _compile(cue)
        first = matcher.slots[0]
        if first.optional or first.skip:
            anywhere.append(matcher)
            continue
        for word in first.words:
            by_word[word].append(matcher)
        for prefix in first.prefixes:
            by_prefix[prefix].append(matcher)
        if first.number:
            by_number.append(matcher)
    return _Index(
        by_word={word: tuple(found) for word, found in by_word.items()},
        by_prefix={prefix: tuple(found) for prefix, found in by_prefix.items()},
        prefix_lengths=tuple(sorted({len(prefix) for prefix in by_prefix})),
        by_number=tuple(by_number),
        anywhere=tuple(anywhere),
    )


def _candidates(index: _Index, token: str, language: str) -> list[_Matcher]:
    found = list(index.by_word.get(token, ()))
    for length in index.prefix_lengths:
        if length <= len(token):
            found.extend(index.by_prefix.get(token[:length], ()))
    if _is_number(token, language):
        found.extend(index.by_number)
    return found


def matched_cues(tokens: tuple[str, ...], language: str, entities: Collection[str]) -> list[Cue]:
    """Every cue that fires on `tokens` (each at most once)."""
    index = _index(language)
    fired: dict[int, Cue] = {}
    for at, token in enumerate(tokens):
        for matcher in (*_candidates(index, token, language), *index.anywhere):
            key = id(matcher)
            if key in fired or (matcher.at_start and at != 0):
                continue
            if matcher.cue.requires is not None and matcher.cue.requires not in entities:
                continue
            if _matches_from(matcher, 0, tokens, at, language):
                fired[key] = matcher.cue
    return list(fired.values())


def score(cues: list[Cue]) -> dict[str, float]:
    """Per intent: the strongest cue, a little for each further cue, minus negative cues."""
    positive: dict[str, list[float]] = defaultdict(list)
    negative: dict[str, float] = defaultdict(float)
    for cue in cues:
        if cue.weight > 0:
            positive[cue.intent].append(cue.weight)
        else:
            negative[cue.intent] += cue.weight
    scores = {
        intent: max(weights) + _EXTRA_CUE_BONUS * (len(weights) - 1) + negative[intent]
        for intent, weights in positive.items()
    }
    return {intent: value for intent, value in scores.items() if value > 0}


def classify(
    tokens: tuple[str, ...], language: str, entities: Collection[str]
) -> tuple[str, float]:
    """(intent, confidence in [0, 1]); "unknown" with confidence 1.0 when nothing fired."""
    scores = score(matched_cues(tokens, language, entities))
    ranked = sorted(scores.items(), key=lambda item: (-item[1], _RANK[item[0]]))
    if not ranked or ranked[0][1] < _MIN_SCORE:
        return "unknown", 1.0
    best = ranked[0][1]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    margin = best / (best + runner_up)
    strength = min(1.0, best / 4.0)
    return ranked[0][0], round(margin * strength, 3)
