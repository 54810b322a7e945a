"""Turn the bytes a creditor exported into text and a CSV dialect.

Brazilian spreadsheets save UTF-8 (often with a BOM) or Windows-1252, and use `;` as the field
separator because `,` is the decimal mark. We detect both instead of asking the operator.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.importing.errors import ImportFileError

__all__ = ["DecodedFile", "decode_csv", "detect_delimiter"]

UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class DecodedFile:
    text: str
    encoding: str  # how to write a file the same program will read back (the rejects file)
    delimiter: str


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"file starts with a UTF-8 marker but byte {exc.start + 3} is not UTF-8"
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"file is neither UTF-8 nor Windows-1252 (byte {exc.start} cannot be read)"
        ) from None


def detect_delimiter(header_line: str) -> str:
    """`;` or `,`, whichever separates the header's column names."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def decode_csv(data: bytes) -> DecodedFile:
    """Decode (UTF-8 with or without BOM, else Windows-1252) and sniff the delimiter."""
    text, encoding = _decode(data)
    if not text.strip():
        raise ImportFileError("file is empty")
    header_line = text.lstrip("\r\n").splitlines()[0]
    return DecodedFile(text=text, encoding=encoding, delimiter=detect_delimiter(header_line))
