"""Split decoded CSV text into records that remember their file line numbers.

Line numbers are what the operator sees in an editor (header = line 1), so a record that
spans lines because of a quoted newline is numbered by its first line. Broken CSV (a stray
quote, a NUL byte, an empty line in the middle) becomes a `RowError`, never a traceback.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.importing.decoding import DecodedFile
from bot.importing.errors import ImportFileError, RowError

if TYPE_CHECKING:
    from _csv import Reader

__all__ = ["RawRecord", "read_header", "read_records"]


@dataclass(frozen=True, slots=True)
class RawRecord:
    line: int
    fields: list[str]


def _reader(decoded: DecodedFile) -> Reader:
    source = io.StringIO(decoded.text, newline="")
    return csv.reader(source, delimiter=decoded.delimiter, strict=True)


def read_header(decoded: DecodedFile) -> list[str]:
    for fields in _reader(decoded):
        if fields:
            return fields
    raise ImportFileError("file has no header line")


def read_records(decoded: DecodedFile) -> Iterator[RawRecord | RowError]:
    """Every record after the header, in file order; blank lines at the very end are ignored."""
    reader = _reader(decoded)
    header_seen = False
    pending_blank: list[int] = []
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RowError(start, None, f"not valid CSV ({exc})")
            continue
        if not header_seen:
            header_seen = bool(fields)
            continue
        if not fields or all(not field.strip() for field in fields):
            pending_blank.append(start)
            continue
        for blank in pending_blank:
            yield RowError(blank, None, "empty line")
        pending_blank.clear()
        yield RawRecord(start, fields)
