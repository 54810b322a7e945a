"""Typo tolerance for the words the intent cues care about ("pacelar" → "parcelar").

Only unknown words of five letters or more are corrected, and only towards the cue
vocabulary: one edit for short words, two for long ones (Damerau–Levenshtein, so swapped
letters count as one edit). Candidates are found through a deletion index (the SymSpell
idea), built once at import, so a lookup costs a few dictionary probes.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from dialogs.nlu.lexicon import SPELLING_TARGETS, is_known

_MIN_LENGTH = 5
_LONG_WORD = 10


def _deletions(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _max_edits(word: str) -> int:
    return 2 if len(word) >= _LONG_WORD else 1


def edit_distance(first: str, second: str) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap neighbours)."""
    rows = len(first) + 1
    cols = len(second) + 1
    table = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        table[i][0] = i
    for j in range(cols):
        table[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost = 0 if first[i - 1] == second[j - 1] else 1
            best = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and first[i - 1] == second[j - 2] and first[i - 2] == second[j - 1]:
                best = min(best, table[i - 2][j - 2] + 1)
            table[i][j] = best
    return table[-1][-1]


_INDEX: dict[str, dict[str, set[str]]] = {}


def _index(language: str) -> dict[str, set[str]]:
    if language not in _INDEX:
        index: dict[str, set[str]] = defaultdict(set)
        for target in SPELLING_TARGETS[language]:
            for variant in _deletions(target, _max_edits(target)):
                index[variant].add(target)
        _INDEX[language] = dict(index)
    return _INDEX[language]


@lru_cache(maxsize=65536)
def correct(word: str, language: str) -> str | None:
    """The closest cue word to an unknown `word`, or None when nothing is close enough."""
    if len(word) < _MIN_LENGTH or is_known(word, language):
        return None
    index = _index(language)
    limit = _max_edits(word)
    candidates: set[str] = set()
    for variant in _deletions(word, limit):
        candidates |= index.get(variant, set())
    best: tuple[int, str] | None = None
    for candidate in sorted(candidates):
        distance = edit_distance(word, candidate)
        if distance <= min(limit, _max_edits(candidate)) and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None
