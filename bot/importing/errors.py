"""What can be wrong with an import: the whole file, or one cell of one line.

Messages are for the operator running `quita import`; they name the line and column but never
repeat a CPF or a name, so they are safe to paste into a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ImportFileError", "RowError"]


class ImportFileError(Exception):
    """The file cannot be read as a debt CSV at all (encoding, header); nothing is imported."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem on one file line (header = line 1); `column` None means the whole line."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.column is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, column {self.column}: {self.message}"
