"""The labelled debtor messages in `data/messages.csv` and how to score `understand()` on them.

Dates in the file are resolved against TODAY (a Wednesday), fixed so the file never rots.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from dialogs.nlu import understand

TODAY = date(2026, 11, 25)
DATA = Path(__file__).parent / "data" / "messages.csv"
ENTITY_COLUMNS = ("amount", "installments", "date", "cpf")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    entities: dict[str, object]
    locale: str
    split: str


def _expected_entities(row: dict[str, str]) -> dict[str, object]:
    entities: dict[str, object] = {}
    if row["amount"]:
        entities["amount"] = Decimal(row["amount"])
    if row["installments"]:
        entities["installments"] = int(row["installments"])
    if row["date"]:
        entities["date"] = date.fromisoformat(row["date"])
    if row["cpf"]:
        entities["cpf"] = row["cpf"]
    return entities


def load(split: str | None = None) -> list[Example]:
    """Rows of the data set, optionally only one split ("train" or "test")."""
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        Example(row["text"], row["intent"], _expected_entities(row), row["locale"], row["split"])
        for row in rows
        if split is None or row["split"] == split
    ]


def predict(example: Example) -> tuple[str, Mapping[str, object]]:
    found = understand(example.text, example.locale, today=TODAY)
    return found.intent, found.entities
