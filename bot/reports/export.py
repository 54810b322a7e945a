"""CSV (semicolon-separated, as Excel in Brazil expects) and JSON forms of report tables."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

from bot.reports.build import Report
from bot.reports.tables import Cell, Table, report_tables


def _text(cell: Cell, decimal_comma: bool) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        value = f"{cell:f}"
        return value.replace(".", ",") if decimal_comma else value
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def table_csv(table: Table, *, decimal_comma: bool = False) -> str:
    """The table as CSV text with a header row; `;` separates fields in both modes."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_text(cell, decimal_comma) for cell in row] for row in table.rows)
    return out.getvalue()


def read_csv(text: str) -> list[dict[str, str]]:
    """Parse CSV written by `table_csv` (header row first)."""
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def _json_cell(cell: Cell) -> Any:
    if isinstance(cell, Decimal):
        return str(cell)  # exact: "1234.56"
    if isinstance(cell, date):
        return cell.isoformat()
    return cell


def report_json(report: Report) -> str:
    """Every table as a list of objects, keyed by table name."""
    data = {
        name: [dict(zip(table.columns, map(_json_cell, row), strict=True)) for row in table.rows]
        for name, table in report_tables(report).items()
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def report_csv(report: Report, *, decimal_comma: bool = False) -> str:
    """All tables in one CSV text, each preceded by a `# name` line and followed by a blank."""
    parts = [
        f"# {name}\r\n{table_csv(table, decimal_comma=decimal_comma)}"
        for name, table in report_tables(report).items()
    ]
    return "\r\n".join(parts)
