"""Bulk upsert of imported debtors and debts: fast, idempotent, and honest about what changed.

Rows are written in batches inside the caller's transaction. Each batch first reads the rows
that already exist, so the report can say created / updated / unchanged, and only new or
changed rows are sent. The upsert itself carries a `WHERE` that skips identical rows, so even
a concurrent writer can never make an unchanged debt look updated (its `updated_at` stays).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from storage import tables
from storage.connection import Executor
from storage.enums import DebtStatus

__all__ = [
    "BATCH_SIZE",
    "DebtImportCounts",
    "ImportedDebt",
    "ImportedDebtor",
    "UpsertCounts",
    "upsert_imported_debts",
]

BATCH_SIZE = 1000

T = TypeVar("T")
TELEGRAM = "telegram"


@dataclass(frozen=True, slots=True)
class ImportedDebtor:
    external_id: str
    name: str
    cpf: str
    birth_date: date | None
    email: str | None
    phone: str | None
    state: str | None
    telegram_id: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedDebt:
    debtor_external_id: str
    contract: str
    description: str
    principal_cents: int
    due_date: date
    boleto_line: str | None


@dataclass(slots=True)
class UpsertCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass(slots=True)
class DebtImportCounts:
    debtors: UpsertCounts = field(default_factory=UpsertCounts)
    debts: UpsertCounts = field(default_factory=UpsertCounts)
    telegram_contacts: UpsertCounts = field(default_factory=UpsertCounts)


DEBTOR_FIELDS = ("name", "cpf", "birth_date", "email", "phone", "state")
DEBT_FIELDS = ("description", "principal_cents", "due_date", "boleto_line")


def _batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(conn: Executor, table: Table) -> postgresql.Insert | sqlite.Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _changed(table: Table, excluded: Any, columns: Sequence[str]) -> ColumnElement[bool]:
    return or_(*(table.c[name].is_distinct_from(excluded[name]) for name in columns))


async def _upsert_batch(
    conn: Executor,
    table: Table,
    keys: Sequence[str],
    compared: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    now: datetime | None,
    counts: UpsertCounts,
) -> None:
    """Insert new rows, update changed ones (touching `updated_at` when `now` is given)."""
    key_columns = [table.c[name] for name in keys]
    wanted = {tuple(row[name] for name in keys): row for row in rows}
    existing_query = select(*key_columns, *(table.c[name] for name in compared))
    if len(keys) == 1:
        existing_query = existing_query.where(key_columns[0].in_([k[0] for k in wanted]))
    else:
        existing_query = existing_query.where(tuple_(*key_columns).in_(list(wanted)))
    existing = {
        tuple(found[: len(keys)]): tuple(found[len(keys) :])
        for found in (await conn.execute(existing_query)).all()
    }
    to_write: list[Mapping[str, Any]] = []
    for key, row in wanted.items():
        current = existing.get(key)
        if current is None:
            counts.created += 1
        elif current != tuple(row[name] for name in compared):
            counts.updated += 1
        else:
            counts.unchanged += 1
            continue
        to_write.append(row)
    if not to_write:
        return
    stmt = _insert(conn, table)
    excluded: Any = stmt.excluded
    set_: dict[str, Any] = {name: excluded[name] for name in compared}
    if now is not None:
        set_["updated_at"] = excluded["updated_at"]
    upsert = stmt.on_conflict_do_update(
        index_elements=list(keys), set_=set_, where=_changed(table, excluded, compared)
    )
    await conn.execute(upsert, list(to_write))


async def _debtor_ids(conn: Executor, external_ids: Sequence[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for batch in _batches(external_ids, BATCH_SIZE):
        query = select(tables.debtor.c.external_id, tables.debtor.c.id).where(
            tables.debtor.c.external_id.in_(batch)
        )
        ids.update((external_id, id_) for external_id, id_ in (await conn.execute(query)).all())
    return ids


async def upsert_imported_debts(
    conn: Executor,
    debtors: Sequence[ImportedDebtor],
    debts: Sequence[ImportedDebt],
    *,
    now: datetime,
    on_progress: Callable[[int], None] | None = None,
) -> DebtImportCounts:
    """Upsert debtors by external id, then debts by (debtor, contract), in `conn`'s transaction.

    A debtor's Telegram id, when given, links a `telegram` contact to the debtor. Debts of a
    debtor missing from `debtors` and the database raise KeyError. `on_progress` receives the
    number of debts written after each batch.
    """
    counts = DebtImportCounts()
    for batch in _batches(debtors, BATCH_SIZE):
        rows = [
            {
                "external_id": d.external_id,
                **{name: getattr(d, name) for name in DEBTOR_FIELDS},
                "created_at": now,
                "updated_at": now,
            }
            for d in batch
        ]
        await _upsert_batch(
            conn,
            tables.debtor,
            ("external_id",),
            DEBTOR_FIELDS,
            rows,
            now=now,
            counts=counts.debtors,
        )

    debtor_ids = await _debtor_ids(
        conn, sorted({d.external_id for d in debtors} | {d.debtor_external_id for d in debts})
    )

    telegram = [d for d in debtors if d.telegram_id is not None]
    for contact_batch in _batches(telegram, BATCH_SIZE):
        rows = [
            {
                "channel": TELEGRAM,
                "address": d.telegram_id,
                "debtor_id": debtor_ids[d.external_id],
                "created_at": now,
            }
            for d in contact_batch
        ]
        await _upsert_batch(
            conn,
            tables.contact,
            ("channel", "address"),
            ("debtor_id",),
            rows,
            now=None,
            counts=counts.telegram_contacts,
        )

    done = 0
    for debt_batch in _batches(debts, BATCH_SIZE):
        rows = [
            {
                "debtor_id": debtor_ids[d.debtor_external_id],
                "contract": d.contract,
                **{name: getattr(d, name) for name in DEBT_FIELDS},
                "status": DebtStatus.OPEN.value,
                "paid_cents": 0,
                "created_at": now,
                "updated_at": now,
            }
            for d in debt_batch
        ]
        await _upsert_batch(
            conn,
            tables.debt,
            ("debtor_id", "contract"),
            DEBT_FIELDS,
            rows,
            now=now,
            counts=counts.debts,
        )
        done += len(debt_batch)
        if on_progress is not None:
            on_progress(done)
    return counts
