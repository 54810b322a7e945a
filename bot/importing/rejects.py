"""Write the lines that could not be imported, as they were, plus what was wrong with them.

The operator fixes REJECTS.csv in the same spreadsheet program and imports it again, so it
keeps the original header, separator and encoding and only adds an `error` column.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from bot.importing.decoding import DecodedFile
from bot.importing.validation import RejectedRecord

__all__ = ["write_rejects"]

ERROR_COLUMN = "error"


def write_rejects(
    path: Path, header: Sequence[str], rejected: Sequence[RejectedRecord], decoded: DecodedFile
) -> None:
    width = len(header)
    # Windows-1252 cannot encode every character an error message might quote; keep the file
    # readable by replacing those rather than losing the whole rejects file.
    with path.open("w", encoding=decoded.encoding, errors="replace", newline="") as out:
        writer = csv.writer(out, delimiter=decoded.delimiter, lineterminator="\r\n")
        writer.writerow([*header, ERROR_COLUMN])
        for record in rejected:
            fields = list(record.fields) + [""] * max(0, width - len(record.fields))
            message = "; ".join(str(error) for error in record.errors)
            writer.writerow([*fields, message])
