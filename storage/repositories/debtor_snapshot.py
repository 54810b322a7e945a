"""The debtor snapshot the dialog works from: read on every event of a linked chat.

Debtor, unpaid debts, and live (not cancelled) agreements with their installments, read as one
JSON object in one statement (`snapshot_json_sql`): `json_agg` on PostgreSQL, JSON1's
`json_group_array` on SQLite. On PostgreSQL four queries would be four network round trips;
on SQLite one statement instead of four saves each query's Python overhead and the
conversion of every column (~80 → ~55 µs per snapshot). `Conversations.lock_recording` reads
the snapshot with the chat's row the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Integer, String, bindparam, text

from storage.connection import Executor
from storage.enums import AgreementStatus, DebtStatus
from storage.prepared import Prepared

if TYPE_CHECKING:  # dialogs.flow's package import loads the whole dialog machine
    from dialogs.flow.snapshots import AgreementSnapshot, DebtorSnapshot, DebtSnapshot

_PAID = DebtStatus.PAID.value
_CANCELLED = AgreementStatus.CANCELLED.value

_POSTGRESQL_SNAPSHOT = """SELECT row_to_json(n) AS snapshot FROM (
SELECT d.id, d.name, d.cpf, d.birth_date, d.state,
  COALESCE((
    SELECT json_agg(json_build_object(
      'id', x.id, 'contract', x.contract, 'description', x.description,
      'due_date', x.due_date, 'principal_cents', x.principal_cents,
      'paid_cents', x.paid_cents, 'status', x.status))
    FROM debt x WHERE x.debtor_id = d.id AND x.status <> :paid
  ), '[]'::json) AS debts,
  COALESCE((
    SELECT json_agg(json_build_object(
      'id', a.id, 'payment_channel', a.payment_channel, 'status', a.status,
      'total_cents', a.total_cents,
      'installments', COALESCE((
        SELECT json_agg(json_build_object(
          'number', i.number, 'amount_cents', i.amount_cents, 'due_date', i.due_date,
          'status', i.status, 'paid_cents', i.paid_cents))
        FROM installment i WHERE i.agreement_id = a.id
      ), '[]'::json)))
    FROM agreement a WHERE a.debtor_id = d.id AND a.status <> :cancelled
  ), '[]'::json) AS agreements
FROM debtor d
WHERE d.id = {debtor_id} AND d.erased_at IS NULL) n"""

# A scalar subquery's result loses its JSON subtype in SQLite, hence the `json(...)` around
# each nested array (without it the array would be embedded as a string).
_SQLITE_SNAPSHOT = """SELECT json_object(
  'id', d.id, 'name', d.name, 'cpf', d.cpf, 'birth_date', d.birth_date, 'state', d.state,
  'debts', json((
    SELECT json_group_array(json_object(
      'id', x.id, 'contract', x.contract, 'description', x.description,
      'due_date', x.due_date, 'principal_cents', x.principal_cents,
      'paid_cents', x.paid_cents, 'status', x.status))
    FROM debt x WHERE x.debtor_id = d.id AND x.status <> :paid)),
  'agreements', json((
    SELECT json_group_array(json_object(
      'id', a.id, 'payment_channel', a.payment_channel, 'status', a.status,
      'total_cents', a.total_cents,
      'installments', json((
        SELECT json_group_array(json_object(
          'number', i.number, 'amount_cents', i.amount_cents, 'due_date', i.due_date,
          'status', i.status, 'paid_cents', i.paid_cents))
        FROM installment i WHERE i.agreement_id = a.id))))
    FROM agreement a WHERE a.debtor_id = d.id AND a.status <> :cancelled))
) AS snapshot
FROM debtor d
WHERE d.id = {debtor_id} AND d.erased_at IS NULL"""


def snapshot_json_sql(dialect: str, debtor_id: str) -> str:
    """One row with one column, `snapshot`: the snapshot of the debtor whose id is the SQL
    expression `debtor_id`, as a JSON object; no row when that debtor does not exist or was
    erased. Binds `:paid` and `:cancelled` (`SNAPSHOT_BINDS`). The arrays come in no
    particular order: `nested_snapshot` sorts them."""
    sql = _POSTGRESQL_SNAPSHOT if dialect == "postgresql" else _SQLITE_SNAPSHOT
    return sql.format(debtor_id=debtor_id)


SNAPSHOT_BINDS = (
    bindparam("paid", _PAID, type_=String),
    bindparam("cancelled", _CANCELLED, type_=String),
)


def _snapshot_statement(debtor_id: str, key: str, key_type: Any) -> Prepared:
    return Prepared(
        lambda dialect: (
            text(snapshot_json_sql(dialect, debtor_id))
            .bindparams(bindparam(key, type_=key_type), *SNAPSHOT_BINDS)
            .columns(snapshot=JSON)
        )
    )


_BY_ID = _snapshot_statement(":k_id", "k_id", Integer)
# The oldest unerased debtor with this CPF, as `SqlDebtors.by_cpf` finds it.
_OLDEST_WITH_CPF = (
    "(SELECT o.id FROM debtor o WHERE o.cpf = :k_cpf AND o.erased_at IS NULL ORDER BY o.id LIMIT 1)"
)
_BY_CPF = _snapshot_statement(_OLDEST_WITH_CPF, "k_cpf", String)


async def read_snapshot_by_cpf(conn: Executor, cpf: str) -> DebtorSnapshot | None:
    """The snapshot of the debtor `SqlDebtors.by_cpf` would find, in one statement."""
    found = await conn.fetch(_BY_CPF, {"k_cpf": cpf})
    return nested_snapshot(found[0]["snapshot"]) if found else None


async def read_snapshot(conn: Executor, debtor_id: int) -> DebtorSnapshot | None:
    """The debtor's snapshot, or None when there is no such (unerased) debtor."""
    found = await conn.fetch(_BY_ID, {"k_id": debtor_id})
    return nested_snapshot(found[0]["snapshot"]) if found else None


def nested_snapshot(found: Mapping[str, Any]) -> DebtorSnapshot:
    """The snapshot from the JSON object `snapshot_json_sql` reads (dates as ISO text)."""
    from dialogs.flow.snapshots import DebtorSnapshot

    birth_date = found["birth_date"]
    debts = sorted(found["debts"], key=lambda d: (d["due_date"], d["id"]))
    return DebtorSnapshot(
        debtor_id=found["id"],
        name=found["name"],
        cpf=found["cpf"],
        birth_date=None if birth_date is None else date.fromisoformat(birth_date),
        state=found["state"],
        debts=tuple(_debt(d) for d in debts),
        agreements=tuple(_agreement(a) for a in sorted(found["agreements"], key=_by_id)),
    )


def _by_id(row: Mapping[str, Any]) -> int:
    found_id: int = row["id"]
    return found_id


def _debt(row: Mapping[str, Any]) -> DebtSnapshot:
    from dialogs.flow.snapshots import DebtSnapshot

    return DebtSnapshot(
        debt_id=row["id"],
        contract=row["contract"],
        description=row["description"],
        due_date=date.fromisoformat(row["due_date"]),
        principal_cents=row["principal_cents"],
        paid_cents=row["paid_cents"],
        status=row["status"],
    )


def _agreement(row: Mapping[str, Any]) -> AgreementSnapshot:
    from dialogs.flow.snapshots import AgreementSnapshot, InstallmentSnapshot

    return AgreementSnapshot(
        agreement_id=row["id"],
        payment_channel=row["payment_channel"],
        status=row["status"],
        total_cents=row["total_cents"],
        installments=tuple(
            InstallmentSnapshot(
                number=i["number"],
                amount_cents=i["amount_cents"],
                due_date=date.fromisoformat(i["due_date"]),
                status=i["status"],
                paid_cents=i["paid_cents"],
            )
            for i in sorted(row["installments"], key=lambda i: i["number"])
        ),
    )
