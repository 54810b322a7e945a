"""Debt import from creditors' CSV files (`quita import`).

decoding (bytes -> text, separator) -> reading (records with line numbers) -> columns (header)
-> validation (cells, then cross-line rules) -> pipeline (one transaction, or a dry run).
"""

from __future__ import annotations

from bot.importing.errors import ImportFileError, RowError
from bot.importing.pipeline import ImportReport, Progress, import_debts, validate_file
from bot.importing.validation import ImportRow, RejectedRecord

__all__ = [
    "ImportFileError",
    "ImportReport",
    "ImportRow",
    "Progress",
    "RejectedRecord",
    "RowError",
    "import_debts",
    "validate_file",
]
