"""The CSV columns `quita import` understands, and how the header maps onto them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.importing.errors import ImportFileError

__all__ = ["ALL_COLUMNS", "OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "map_header"]

REQUIRED_COLUMNS: tuple[str, ...] = (
    "debtor_id",
    "name",
    "cpf",
    "birth_date",
    "phone",
    "email",
    "state",
    "contract",
    "description",
    "amount",
    "due_date",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("telegram_id", "boleto")
ALL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


def map_header(header: Sequence[str]) -> Mapping[str, int]:
    """Column name -> position; names are trimmed and case-insensitive, extra columns ignored.

    Raises ImportFileError naming every missing required column at once, so the operator fixes
    the header in one go.
    """
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lower()
        if name in ALL_COLUMNS:
            if name in positions:
                raise ImportFileError(f"line 1: column {name} appears twice in the header")
            positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        raise ImportFileError(
            "line 1: missing required column(s): "
            + ", ".join(missing)
            + f" (expected header: {','.join(REQUIRED_COLUMNS)}[,telegram_id][,boleto])"
        )
    return positions
