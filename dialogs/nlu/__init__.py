"""Understanding free text from debtors (pt_BR first; en and es basic).

`understand(text, locale, today=...)` → `Understanding(intent, confidence, entities)`.
Deterministic: normalisation, entity extraction and a weighted cue table, no model files.
"""

from __future__ import annotations

from dialogs.nlu.intents import INTENTS
from dialogs.nlu.understand import Understanding, understand

__all__ = ["INTENTS", "Understanding", "understand"]
