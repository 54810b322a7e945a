"""What every repository shares: the transaction's connection and dialect-aware upserts."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from storage.connection import Executor


class Repository:
    """A view of the tables bound to one open transaction (`conn`)."""

    __slots__ = ("conn", "dialect")

    def __init__(self, conn: Executor, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def insert_or_ignore(
        self, table: Table, conflict: tuple[str, ...], returning: tuple[str, ...] = ()
    ) -> Insert:
        """`INSERT ... ON CONFLICT (conflict) DO NOTHING`: a duplicate is a no-op, not an error.

        Built once per shape and reused (pass the values to `execute`): constructing Core
        statements costs more than running them on SQLite.
        """
        return insert_or_ignore(self.dialect, table, conflict, returning)

    def upsert_statement(
        self, table: Table, conflict: Sequence[str], update: Sequence[str], **extra: Any
    ) -> Insert:
        """`INSERT ... ON CONFLICT (conflict) DO UPDATE` of the `update` columns (+ `extra`).

        The update happens only when one of the `update` columns really differs, so
        re-importing the same data leaves rows (and their `updated_at`) untouched; such a
        row is then absent from RETURNING.
        """
        stmt: postgresql.Insert | sqlite.Insert
        stmt = postgresql.insert(table) if self.is_postgres else sqlite.insert(table)
        excluded: Any = stmt.excluded
        values: dict[str | Column[Any], Any] = {name: excluded[name] for name in update}
        values.update(extra)
        changed = or_(*(table.c[name].is_distinct_from(excluded[name]) for name in update))
        return stmt.on_conflict_do_update(index_elements=list(conflict), set_=values, where=changed)


@functools.cache
def insert_or_ignore(
    dialect: str, table: Table, conflict: tuple[str, ...], returning: tuple[str, ...] = ()
) -> Insert:
    """`INSERT ... ON CONFLICT (conflict) DO NOTHING [RETURNING ...]` in `dialect`'s syntax."""
    module = postgresql if dialect == "postgresql" else sqlite
    stmt: Insert = module.insert(table).on_conflict_do_nothing(index_elements=list(conflict))
    return stmt.returning(*(table.c[name] for name in returning)) if returning else stmt


def with_new_id(dialect: str, stmt: Insert) -> Insert:
    """`stmt` for `Executor.insert`, which answers with the new row's id: PostgreSQL's
    statement returns it; SQLite's driver reports it, and RETURNING would cost SQLite ~12 µs
    a row (about 3 % of an event, which stores three messages)."""
    if dialect == "sqlite":
        return stmt
    return stmt.returning(stmt.table.c.id)
