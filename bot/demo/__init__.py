"""Sample data shipped with Quita so `quita demo` has debtors to talk to."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DEBTS_CSV = Path(__file__).with_name("sample_debts.csv")

__all__ = ["SAMPLE_DEBTS_CSV"]
