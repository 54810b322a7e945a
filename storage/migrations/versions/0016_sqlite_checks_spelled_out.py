"""SQLite: a CHECK that lists a column's values tests them one by one.

Why: SQLite evaluates `column IN ('a', 'b', 'c')` with more than two values by building a
temporary table of the values, in every INSERT or UPDATE that checks it (an executemany builds
it once per row). An event's statements run about ten such checks, and they were 12 % of its
instructions (callgrind, the bench's service path). Spelled `column = 'a' OR column = 'b' OR
...`, the same rule is a few comparisons. (Migration 0013 thought SQLite's checks cheap.)

The rule is unchanged, so no stored row needs checking and nothing is copied: the new text
replaces the old in the schema, SQLite's documented way to change a constraint that every
stored row still meets (https://sqlite.org/lang_altertable.html#otheralter: edit the schema
with `writable_schema`, then move `schema_version` on so every connection reloads it).
PostgreSQL checks these columns with domains (migration 0013): nothing to do there.

Revision ID: 0016_sqlite_checks
Revises: 0015_outbox_status_index
Create Date: 2026-11-26 17:00:00.000000
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from alembic import op

revision: str = "0016_sqlite_checks"
down_revision: str | None = "0015_outbox_status_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VALUE = r"'[^']*'"
_LISTED = re.compile(rf"CHECK \((\w+) IN \(({_VALUE}(?:, {_VALUE})+)\)\)")
_SPELLED = re.compile(rf"CHECK \((\w+) = {_VALUE}(?: OR \1 = {_VALUE})+\)")


def _spell_out(listed: re.Match[str]) -> str:
    column, values = listed.group(1), re.findall(_VALUE, listed.group(2))
    return "CHECK (" + " OR ".join(f"{column} = {value}" for value in values) + ")"


def _list(spelled: re.Match[str]) -> str:
    column, values = spelled.group(1), re.findall(_VALUE, spelled.group(0))
    return f"CHECK ({column} IN ({', '.join(values)}))"


def _rewrite_checks(pattern: re.Pattern[str], rewrite: Callable[[re.Match[str]], str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    tables = bind.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
    changed = {
        name: rewritten
        for name, sql in tables.all()
        if (rewritten := pattern.sub(rewrite, sql)) != sql
    }
    if not changed:
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        for name, sql in changed.items():
            bind.exec_driver_sql(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, name)
            )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    _rewrite_checks(_LISTED, _spell_out)


def downgrade() -> None:
    _rewrite_checks(_SPELLED, _list)
