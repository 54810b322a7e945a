"""The debtor snapshot the dialog works from: read on every event of a linked chat.

Debtor, unpaid debts, and live (not cancelled) agreements with their installments, read as one
JSON object in one statement (`snapshot_select`): `json_agg` on PostgreSQL, JSON1's
`json_group_array` on SQLite. On PostgreSQL four queries would be four network round trips;
on SQLite one statement instead of four saves each query's Python overhead and the
conversion of every column (~80 → ~55 µs per snapshot). `Conversations.lock_recording` reads
the snapshot with the chat's row the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache, lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import BindParameter, Integer, String, bindparam, text
from sqlalchemy.sql.selectable import TextualSelect

from dialogs.frozen import builder
from storage.connection import Executor
from storage.enums import AgreementStatus, DebtStatus
from storage.prepared import Prepared

if TYPE_CHECKING:  # dialogs.flow's package import loads the whole dialog machine
    from dialogs.flow.snapshots import (
        AgreementSnapshot,
        DebtorSnapshot,
        DebtSnapshot,
        InstallmentSnapshot,
    )

_PAID = DebtStatus.PAID.value
_CANCELLED = AgreementStatus.CANCELLED.value

# The keys `snapshot_from_json` reads, and the columns they come from.
_DEBT_KEYS = (
    "id",
    "contract",
    "description",
    "due_date",
    "principal_cents",
    "paid_cents",
    "status",
)
_AGREEMENT_KEYS = ("id", "payment_channel", "status", "total_cents")
_INSTALLMENT_KEYS = ("number", "amount_cents", "due_date", "status", "paid_cents")
_DEBTS = "FROM debt x WHERE x.debtor_id = d.id AND x.status <> :paid"
_AGREEMENTS = "FROM agreement a WHERE a.debtor_id = d.id AND a.status <> :cancelled"
_INSTALLMENTS = "FROM installment i WHERE i.agreement_id = a.id"


def _pairs(alias: str, keys: tuple[str, ...]) -> str:
    """`'id', x.id, 'contract', x.contract, …`: a JSON object's arguments."""
    return ", ".join(f"'{key}', {alias}.{key}" for key in keys)


def _postgresql_array(pairs: str, rows: str) -> str:
    return f"COALESCE((SELECT json_agg(json_build_object({pairs})) {rows}), '[]'::json)"


def _sqlite_array(pairs: str, rows: str) -> str:
    # A scalar subquery's result loses its JSON subtype in SQLite, hence `json(...)`: without
    # it the array would be embedded as a string. An empty `json_group_array` is `[]`.
    return f"json((SELECT json_group_array(json_object({pairs})) {rows}))"


def snapshot_sql(dialect: str, debtor_id: str) -> str:
    """One row with one column, `snapshot`: the snapshot of the debtor whose id is the SQL
    expression `debtor_id`, as the text of a JSON object; no row when that debtor does not
    exist or was erased. Binds `:paid` and `:cancelled` (`SNAPSHOT_BINDS` types them). The
    arrays come in no particular order: `snapshot_from_json` sorts them."""
    array = _postgresql_array if dialect == "postgresql" else _sqlite_array
    debts = array(_pairs("x", _DEBT_KEYS), _DEBTS)
    installments = array(_pairs("i", _INSTALLMENT_KEYS), _INSTALLMENTS)
    agreement = f"{_pairs('a', _AGREEMENT_KEYS)}, 'installments', {installments}"
    agreements = array(agreement, _AGREEMENTS)
    debtor = f"FROM debtor d WHERE d.id = {debtor_id} AND d.erased_at IS NULL"
    if dialect == "postgresql":
        return f"""SELECT CAST(row_to_json(n) AS text) AS snapshot FROM (
SELECT d.id, d.name, d.cpf, d.birth_date, d.state, {debts} AS debts, {agreements} AS agreements
{debtor}) n"""  # noqa: S608 - `debtor_id` is an expression of ours, never a value
    return f"""SELECT json_object(
  'id', d.id, 'name', d.name, 'cpf', d.cpf, 'birth_date', d.birth_date, 'state', d.state,
  'debts', {debts}, 'agreements', {agreements}) AS snapshot
{debtor}"""


# The values `snapshot_sql` binds, for a statement that embeds it.
SNAPSHOT_BINDS = (
    bindparam("paid", _PAID, type_=String),
    bindparam("cancelled", _CANCELLED, type_=String),
)


def snapshot_select(dialect: str, debtor_id: str, *binds: BindParameter[Any]) -> TextualSelect:
    """`snapshot_sql` as a statement with one column, `snapshot` (JSON text); `binds` type the
    parameters `debtor_id` uses. `Conversations.lock_recording` reads it as a subquery."""
    return (
        text(snapshot_sql(dialect, debtor_id))
        .bindparams(*binds, *SNAPSHOT_BINDS)
        .columns(snapshot=String)
    )


_BY_ID = Prepared(
    lambda dialect: snapshot_select(dialect, ":k_id", bindparam("k_id", type_=Integer))
)
# The oldest unerased debtor with this CPF, as `SqlDebtors.by_cpf` finds it.
_OLDEST_WITH_CPF = (
    "(SELECT o.id FROM debtor o WHERE o.cpf = :k_cpf AND o.erased_at IS NULL ORDER BY o.id LIMIT 1)"
)
_BY_CPF = Prepared(
    lambda dialect: snapshot_select(dialect, _OLDEST_WITH_CPF, bindparam("k_cpf", type_=String))
)


async def read_snapshot_by_cpf(conn: Executor, cpf: str) -> DebtorSnapshot | None:
    """The snapshot of the debtor `SqlDebtors.by_cpf` would find, in one statement.

    A plain read, so before any write it runs on its own (PostgreSQL: no BEGIN round trip;
    a transaction would see the same rows, each statement reading what is committed)."""
    found = await conn.fetch_alone(_BY_CPF, {"k_cpf": cpf})
    return snapshot_from_json(found[0]["snapshot"]) if found else None


async def read_snapshot(conn: Executor, debtor_id: int) -> DebtorSnapshot | None:
    """The debtor's snapshot, or None when there is no such (unerased) debtor."""
    found = await conn.fetch(_BY_ID, {"k_id": debtor_id})
    return snapshot_from_json(found[0]["snapshot"]) if found else None


@lru_cache(maxsize=4096)  # about one per active chat
def snapshot_from_json(raw: str) -> DebtorSnapshot:
    """The snapshot from the JSON text `snapshot_select` reads (dates as ISO text).

    A debtor's snapshot is read on every event of the chat and rarely changes: the same text
    gives the same (immutable) snapshot, without parsing it again (~30 µs in a busy service).
    """
    return _snapshot_from(json.loads(raw))


def _snapshot_from(found: Mapping[str, Any]) -> DebtorSnapshot:
    build = _builders()
    birth_date = found["birth_date"]
    debts = sorted(found["debts"], key=itemgetter("due_date", "id"))
    return build.debtor(
        found["id"],
        found["name"],
        found["cpf"],
        None if birth_date is None else date.fromisoformat(birth_date),
        found["state"],
        tuple(_debt(build, d) for d in debts),
        tuple(_agreement(build, a) for a in sorted(found["agreements"], key=itemgetter("id"))),
    )


def _debt(build: _Builders, row: Mapping[str, Any]) -> DebtSnapshot:
    return build.debt(
        row["id"],
        row["contract"],
        row["description"],
        date.fromisoformat(row["due_date"]),
        row["principal_cents"],
        row["paid_cents"],
        row["status"],
    )


def _agreement(build: _Builders, row: Mapping[str, Any]) -> AgreementSnapshot:
    installment = build.installment
    return build.agreement(
        row["id"],
        row["payment_channel"],
        row["status"],
        row["total_cents"],
        tuple(
            installment(
                i["number"],
                i["amount_cents"],
                date.fromisoformat(i["due_date"]),
                i["status"],
                i["paid_cents"],
            )
            for i in sorted(row["installments"], key=itemgetter("number"))
        ),
    )


class _Builders(NamedTuple):
    """Positional constructors of the snapshots (fields in declaration order)."""

    debtor: Callable[..., DebtorSnapshot]
    debt: Callable[..., DebtSnapshot]
    agreement: Callable[..., AgreementSnapshot]
    installment: Callable[..., InstallmentSnapshot]


@cache
def _builders() -> _Builders:
    """A frozen dataclass's `__init__` sets each field through `object.__setattr__`; a miss
    builds ~50 fields (a debtor, a debt, an agreement of six installments), twice as fast
    through `dialogs.frozen.builder`."""
    from dialogs.flow.snapshots import (
        AgreementSnapshot,
        DebtorSnapshot,
        DebtSnapshot,
        InstallmentSnapshot,
    )

    return _Builders(
        builder(DebtorSnapshot),
        builder(DebtSnapshot),
        builder(AgreementSnapshot),
        builder(InstallmentSnapshot),
    )
