"""The debtor snapshot the dialog works from: read on every event of a linked chat.

Debtor, unpaid debts, and live (not cancelled) agreements with their installments. On SQLite
that is four small indexed queries, each a few microseconds in-process. On PostgreSQL each
query is a network round trip — on this kind of machine ~90 µs of CPU apiece, more than the
query itself — so the same snapshot is one statement that nests debts, agreements and
installments as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, Integer, String, bindparam, select, text

from storage import tables
from storage.connection import Executor
from storage.enums import AgreementStatus, DebtStatus
from storage.prepared import Prepared

if TYPE_CHECKING:  # dialogs.flow's package import loads the whole dialog machine
    from dialogs.flow.snapshots import AgreementSnapshot, DebtorSnapshot, DebtSnapshot

debtor_t = tables.debtor
debt_t = tables.debt
agreement_t = tables.agreement
installment_t = tables.installment

_PAID = DebtStatus.PAID.value
_CANCELLED = AgreementStatus.CANCELLED.value

# -- SQLite: one query per part ---------------------------------------------------------------

_LIVE_AGREEMENT = (
    agreement_t.c.debtor_id == bindparam("k_id"),
    agreement_t.c.status != _CANCELLED,
)
_DEBTOR = Prepared(
    select(
        debtor_t.c.id, debtor_t.c.name, debtor_t.c.cpf, debtor_t.c.birth_date, debtor_t.c.state
    ).where(debtor_t.c.id == bindparam("k_id"), debtor_t.c.erased_at.is_(None))
)
_DEBTS = Prepared(
    select(debt_t)
    .where(debt_t.c.debtor_id == bindparam("k_id"), debt_t.c.status != _PAID)
    .order_by(debt_t.c.due_date, debt_t.c.id)
)
_AGREEMENTS = Prepared(select(agreement_t).where(*_LIVE_AGREEMENT).order_by(agreement_t.c.id))
_INSTALLMENTS = Prepared(
    select(installment_t)
    .join(agreement_t, agreement_t.c.id == installment_t.c.agreement_id)
    .where(*_LIVE_AGREEMENT)
    .order_by(installment_t.c.agreement_id, installment_t.c.number)
)

# -- PostgreSQL: the same in one statement ----------------------------------------------------


def nested_snapshot_sql(debtor_id: str) -> str:
    """The snapshot of the debtor whose id is the SQL expression `debtor_id`, as one row
    (columns `id, name, cpf, birth_date, state, debts, agreements`; binds `:paid` and
    `:cancelled`). Also read inside `Conversations.lock_recording` on PostgreSQL."""
    return f"""SELECT d.id, d.name, d.cpf, d.birth_date, d.state,
  COALESCE((
    SELECT json_agg(json_build_object(
      'id', x.id, 'contract', x.contract, 'description', x.description,
      'due_date', x.due_date, 'principal_cents', x.principal_cents,
      'paid_cents', x.paid_cents, 'status', x.status) ORDER BY x.due_date, x.id)
    FROM debt x WHERE x.debtor_id = d.id AND x.status <> :paid
  ), '[]'::json) AS debts,
  COALESCE((
    SELECT json_agg(json_build_object(
      'id', a.id, 'payment_channel', a.payment_channel, 'status', a.status,
      'total_cents', a.total_cents,
      'installments', COALESCE((
        SELECT json_agg(json_build_object(
          'number', i.number, 'amount_cents', i.amount_cents, 'due_date', i.due_date,
          'status', i.status, 'paid_cents', i.paid_cents) ORDER BY i.number)
        FROM installment i WHERE i.agreement_id = a.id
      ), '[]'::json)) ORDER BY a.id)
    FROM agreement a WHERE a.debtor_id = d.id AND a.status <> :cancelled
  ), '[]'::json) AS agreements
FROM debtor d
WHERE d.id = {debtor_id} AND d.erased_at IS NULL
"""  # noqa: S608 - `debtor_id` is an expression of ours, never a value


SNAPSHOT_BINDS = (
    bindparam("paid", _PAID, type_=String),
    bindparam("cancelled", _CANCELLED, type_=String),
)

_NESTED_COLUMNS = {
    "id": Integer,
    "name": String,
    "cpf": String,
    "birth_date": Date,
    "state": String,
    "debts": JSON,
    "agreements": JSON,
}
_NESTED = Prepared(
    text(nested_snapshot_sql(":k_id"))
    .bindparams(bindparam("k_id", type_=Integer), *SNAPSHOT_BINDS)
    .columns(**_NESTED_COLUMNS)
)
# The oldest unerased debtor with this CPF, as `SqlDebtors.by_cpf` finds it.
_OLDEST_WITH_CPF = (
    "(SELECT o.id FROM debtor o WHERE o.cpf = :k_cpf AND o.erased_at IS NULL ORDER BY o.id LIMIT 1)"
)
_NESTED_BY_CPF = Prepared(
    text(nested_snapshot_sql(_OLDEST_WITH_CPF))
    .bindparams(bindparam("k_cpf", type_=String), *SNAPSHOT_BINDS)
    .columns(**_NESTED_COLUMNS)
)


async def read_snapshot_by_cpf(conn: Executor, cpf: str) -> DebtorSnapshot | None:
    """PostgreSQL: the snapshot of the debtor `SqlDebtors.by_cpf` would find, one statement."""
    found = await conn.fetch(_NESTED_BY_CPF, {"k_cpf": cpf})
    return nested_snapshot(found[0]) if found else None


async def read_snapshot(conn: Executor, dialect: str, debtor_id: int) -> DebtorSnapshot | None:
    """The debtor's snapshot, or None when there is no such (unerased) debtor."""
    params = {"k_id": debtor_id}
    if dialect == "postgresql":
        found = await conn.fetch(_NESTED, params)
        if not found:
            return None
        return nested_snapshot(found[0])
    found = await conn.fetch(_DEBTOR, params)
    if not found:
        return None
    agreements: tuple[AgreementSnapshot, ...] = ()
    agreement_rows = await conn.fetch(_AGREEMENTS, params)
    if agreement_rows:
        installments: dict[int, list[Mapping[str, Any]]] = {}
        for installment in await conn.fetch(_INSTALLMENTS, params):
            installments.setdefault(installment["agreement_id"], []).append(installment)
        agreements = tuple(_agreement(a, installments.get(a["id"], [])) for a in agreement_rows)
    return _snapshot(found[0], await conn.fetch(_DEBTS, params), agreements)


def nested_snapshot(row: Mapping[str, Any]) -> DebtorSnapshot:
    """The snapshot from a row of `nested_snapshot_sql` (or that row as JSON)."""
    return _snapshot(row, row["debts"], _nested_agreements(row["agreements"]))


def _snapshot(
    debtor: Mapping[str, Any],
    debts: Sequence[Mapping[str, Any]],
    agreements: tuple[AgreementSnapshot, ...],
) -> DebtorSnapshot:
    from dialogs.flow.snapshots import DebtorSnapshot

    return DebtorSnapshot(
        debtor_id=debtor["id"],
        name=debtor["name"],
        cpf=debtor["cpf"],
        birth_date=None if debtor["birth_date"] is None else _date(debtor["birth_date"]),
        state=debtor["state"],
        debts=tuple(_debt(d) for d in debts),
        agreements=agreements,
    )


def _debt(row: Mapping[str, Any]) -> DebtSnapshot:
    from dialogs.flow.snapshots import DebtSnapshot

    return DebtSnapshot(
        debt_id=row["id"],
        contract=row["contract"],
        description=row["description"],
        due_date=_date(row["due_date"]),
        principal_cents=row["principal_cents"],
        paid_cents=row["paid_cents"],
        status=row["status"],
    )


def _nested_agreements(rows: Sequence[Mapping[str, Any]]) -> tuple[AgreementSnapshot, ...]:
    return tuple(_agreement(row, row["installments"]) for row in rows)


def _agreement(row: Mapping[str, Any], installments: list[Mapping[str, Any]]) -> AgreementSnapshot:
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
                due_date=_date(i["due_date"]),
                status=i["status"],
                paid_cents=i["paid_cents"],
            )
            for i in installments
        ),
    )


def _date(value: date | str) -> date:
    """Dates in JSON arrive as ISO text."""
    return value if isinstance(value, date) else date.fromisoformat(value)
