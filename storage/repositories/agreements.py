"""Agreements, their installments and the payments against them.

Each installment gets a txid unique across the system (`Q{agreement:08d}N{number:03d}`,
valid as a PIX txid) so a payment confirmation finds its installment without guessing,
and a payment's external id makes a redelivered confirmation a no-op.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    bindparam,
    column,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by

from storage import tables
from storage.enums import AgreementStatus, DebtStatus, InstallmentStatus, PaymentSource
from storage.prepared import Prepared, bound
from storage.repositories.base import Repository, with_new_id
from storage.rows import AgreementRow, InstallmentRow, NewInstallment, PaymentRow
from storage.types import utc_now

agreement_t = tables.agreement
link_t = tables.agreement_debt
installment_t = tables.installment
payment_t = tables.payment
debt_t = tables.debt


# Closing a deal and every agreement effect: prepared, run straight on the driver.
_NEW_AGREEMENT_COLUMNS = (
    "debtor_id",
    "conversation_id",
    "status",
    "payment_channel",
    "total_cents",
    "discount_cents",
    "created_at",
)
_CREATE = Prepared(
    lambda dialect: with_new_id(dialect, insert(agreement_t).values(bound(*_NEW_AGREEMENT_COLUMNS)))
)
_LINK_DEBT = Prepared(insert(link_t).values(bound("agreement_id", "debt_id")))
_DEBT_UNDER_AGREEMENT = Prepared(
    update(debt_t).where(debt_t.c.id == bindparam("k_id")).values(bound("status", "updated_at"))
)
_ADD_INSTALLMENT = Prepared(
    insert(installment_t).values(
        bound("agreement_id", "number", "amount_cents", "due_date", "status", "txid", "paid_cents")
    )
)
_UNDER_AGREEMENT = DebtStatus.AGREEMENT.value
# PostgreSQL: the agreement, its links to the debts and the debts' new status, one statement.
_BY_ID = Prepared(select(agreement_t).where(agreement_t.c.id == bindparam("k_id")))
_DEBT_IDS = Prepared(
    select(link_t.c.debt_id)
    .where(link_t.c.agreement_id == bindparam("k_id"))
    .order_by(link_t.c.debt_id)
)
_INSTALLMENTS = Prepared(
    select(installment_t)
    .where(installment_t.c.agreement_id == bindparam("k_id"))
    .order_by(installment_t.c.number)
)


# PostgreSQL: the agreement, its debt ids and its installments in one round trip, a row per
# installment (the payment step reads all three).
_INSTALLMENT_KEYS = tuple(str(column.key) for column in installment_t.c)
_WHOLE = Prepared(
    select(
        agreement_t,
        select(func.array_agg(aggregate_order_by(link_t.c.debt_id, link_t.c.debt_id)))
        .where(link_t.c.agreement_id == agreement_t.c.id)
        .scalar_subquery()
        .label("debt_ids"),
        *(column.label(f"i_{column.key}") for column in installment_t.c),
    )
    .select_from(
        agreement_t.outerjoin(installment_t, installment_t.c.agreement_id == agreement_t.c.id)
    )
    .where(agreement_t.c.id == bindparam("k_id"))
    .order_by(installment_t.c.number)
)


# PostgreSQL: the agreement, its links to the debts, the debts' new status and the
# installments in one statement, which answers with the whole agreement as `_WHOLE` reads it
# (one row per installment). The txid is `installment_txid`'s, spelled in SQL.
_AS_INSTALLMENT_COLUMNS = ", ".join(f"added.{name} AS i_{name}" for name in _INSTALLMENT_KEYS)
_CREATE_WHOLE = Prepared(
    text(
        f"""
WITH created AS (
  INSERT INTO agreement (debtor_id, conversation_id, status, payment_channel, total_cents,
                         discount_cents, created_at)
  VALUES (:debtor_id, :conversation_id, :status, :payment_channel, :total_cents,
          :discount_cents, :created_at)
  RETURNING *
),
linked AS (
  INSERT INTO agreement_debt (agreement_id, debt_id)
  SELECT created.id, debt_id FROM created, unnest(:debt_ids) AS debt_id
),
moved AS (
  UPDATE debt SET status = :debt_status, updated_at = :created_at WHERE id = ANY(:debt_ids)
),
added AS (
  INSERT INTO installment (agreement_id, number, amount_cents, due_date, status, txid,
                           paid_cents)
  SELECT created.id, i.number, i.amount_cents, i.due_date, :installment_status,
         'Q' || lpad(created.id::text, greatest(8, length(created.id::text)), '0')
             || 'N' || lpad(i.number::text, greatest(3, length(i.number::text)), '0'),
         0
  FROM created, unnest(:i_numbers, :i_amounts, :i_due_dates) AS i(number, amount_cents, due_date)
  RETURNING *
)
SELECT created.*, {_AS_INSTALLMENT_COLUMNS}
FROM created LEFT JOIN added ON true
ORDER BY added.number
"""  # noqa: S608 - only the installment table's own column names are joined in
    )
    .bindparams(
        *(bindparam(name, type_=agreement_t.c[name].type) for name in _NEW_AGREEMENT_COLUMNS),
        bindparam("debt_ids", type_=postgresql.ARRAY(Integer)),
        bindparam("debt_status", type_=debt_t.c.status.type),
        bindparam("installment_status", type_=installment_t.c.status.type),
        bindparam("i_numbers", type_=postgresql.ARRAY(Integer)),
        bindparam("i_amounts", type_=postgresql.ARRAY(BigInteger)),
        bindparam("i_due_dates", type_=postgresql.ARRAY(Date)),
    )
    .columns(
        *agreement_t.c,
        *(column(f"i_{c.key}", c.type) for c in installment_t.c),
    )
)


def _agreement(
    found: Mapping[str, Any], debt_ids: Iterable[int], installments: Iterable[InstallmentRow]
) -> AgreementRow:
    return AgreementRow(
        id=found["id"],
        debtor_id=found["debtor_id"],
        conversation_id=found["conversation_id"],
        status=found["status"],
        payment_channel=found["payment_channel"],
        total_cents=found["total_cents"],
        discount_cents=found["discount_cents"],
        created_at=found["created_at"],
        completed_at=found["completed_at"],
        debt_ids=tuple(debt_ids),
        installments=tuple(installments),
    )


def _new_agreement(
    debtor_id: int,
    conversation_id: int | None,
    payment_channel: str,
    total_cents: int,
    discount_cents: int,
    now: datetime | None,
) -> dict[str, Any]:
    return {
        "debtor_id": debtor_id,
        "conversation_id": conversation_id,
        "status": AgreementStatus.ACTIVE.value,
        "payment_channel": payment_channel,
        "total_cents": total_cents,
        "discount_cents": discount_cents,
        "created_at": now or utc_now(),
    }


def _installments_of(rows: Iterable[Mapping[str, Any]]) -> Iterable[InstallmentRow]:
    """The installments of `_WHOLE`'s (or `_CREATE_WHOLE`'s) rows, one per row."""
    return (
        InstallmentRow.from_row({name: row[f"i_{name}"] for name in _INSTALLMENT_KEYS})
        for row in rows
        if row["i_id"] is not None  # an agreement without installments: one row
    )


def installment_txid(agreement_id: int, number: int) -> str:
    """The PIX txid for one installment: letters and digits only, 13 characters."""
    return f"Q{agreement_id:08d}N{number:03d}"


class SqlAgreements(Repository):
    __slots__ = ()

    async def create(
        self,
        debtor_id: int,
        conversation_id: int | None,
        debt_ids: Sequence[int],
        installments: Sequence[NewInstallment],
        *,
        payment_channel: str,
        total_cents: int,
        discount_cents: int = 0,
        now: datetime | None = None,
    ) -> AgreementRow:
        """Store the deal, its installments, and mark the debts as under agreement; the
        agreement as `get` reads it, on PostgreSQL from the creating statement itself (one
        round trip), so closing a deal needs no read after it."""
        values = _new_agreement(
            debtor_id, conversation_id, payment_channel, total_cents, discount_cents, now
        )
        if self.is_postgres:
            rows = await self._create_whole(values, debt_ids, installments)
            return _agreement(rows[0], sorted(debt_ids), _installments_of(rows))
        created = await self.get(await self._create_sqlite(values, debt_ids, installments))
        assert created is not None  # created just now, in this transaction
        return created

    async def _create_whole(
        self,
        values: Mapping[str, Any],
        debt_ids: Sequence[int],
        installments: Sequence[NewInstallment],
    ) -> list[dict[str, Any]]:
        params = {
            **values,
            "debt_ids": list(debt_ids),
            "debt_status": _UNDER_AGREEMENT,
            "installment_status": InstallmentStatus.PENDING.value,
            "i_numbers": [i.number for i in installments],
            "i_amounts": [i.amount_cents for i in installments],
            "i_due_dates": [i.due_date for i in installments],
        }
        return await self.conn.fetch(_CREATE_WHOLE, params)

    async def _create_sqlite(
        self,
        values: Mapping[str, Any],
        debt_ids: Sequence[int],
        installments: Sequence[NewInstallment],
    ) -> int:
        agreement_id = await self.conn.insert(_CREATE, values)
        assert agreement_id is not None  # no conflict clause: inserted or raised
        if debt_ids:
            links = [{"agreement_id": agreement_id, "debt_id": d} for d in debt_ids]
            moved = [
                {"k_id": d, "status": _UNDER_AGREEMENT, "updated_at": values["created_at"]}
                for d in debt_ids
            ]
            await self.conn.run_many(_LINK_DEBT, links)
            await self.conn.run_many(_DEBT_UNDER_AGREEMENT, moved)
        if installments:
            await self.conn.run_many(
                _ADD_INSTALLMENT,
                [
                    {
                        "agreement_id": agreement_id,
                        "number": i.number,
                        "amount_cents": i.amount_cents,
                        "due_date": i.due_date,
                        "status": InstallmentStatus.PENDING.value,
                        "txid": installment_txid(agreement_id, i.number),
                        "paid_cents": 0,
                    }
                    for i in installments
                ],
            )
        return agreement_id

    async def get(self, agreement_id: int) -> AgreementRow | None:
        """The agreement with its debts and installments (one statement on PostgreSQL)."""
        params = {"k_id": agreement_id}
        if self.is_postgres:
            rows = await self.conn.fetch(_WHOLE, params)
            if not rows:
                return None
            return _agreement(rows[0], rows[0]["debt_ids"] or (), _installments_of(rows))
        rows = await self.conn.fetch(_BY_ID, params)
        if not rows:
            return None
        debt_ids = [link["debt_id"] for link in await self.conn.fetch(_DEBT_IDS, params)]
        return _agreement(rows[0], debt_ids, await self.installments(agreement_id))

    async def for_debtor(self, debtor_id: int) -> list[AgreementRow]:
        stmt = (
            select(agreement_t.c.id)
            .where(agreement_t.c.debtor_id == debtor_id)
            .order_by(agreement_t.c.id)
        )
        ids = list((await self.conn.execute(stmt)).scalars())
        return [row for i in ids if (row := await self.get(i)) is not None]

    async def installments(self, agreement_id: int) -> list[InstallmentRow]:
        rows = await self.conn.fetch(_INSTALLMENTS, {"k_id": agreement_id})
        return [InstallmentRow.from_row(r) for r in rows]

    async def installment_by_txid(self, txid: str) -> InstallmentRow | None:
        stmt = select(installment_t).where(installment_t.c.txid == txid)
        found = (await self.conn.execute(stmt)).mappings().first()
        return None if found is None else InstallmentRow.from_row(found)

    async def mark_installment_paid(
        self, installment_id: int, paid_cents: int, paid_at: datetime
    ) -> bool:
        """Settle an installment once; False if it was already paid or cancelled."""
        stmt = (
            update(installment_t)
            .where(
                installment_t.c.id == installment_id,
                installment_t.c.status.in_(
                    (InstallmentStatus.PENDING.value, InstallmentStatus.LATE.value)
                ),
            )
            .values(status=InstallmentStatus.PAID.value, paid_cents=paid_cents, paid_at=paid_at)
        )
        return bool((await self.conn.execute(stmt)).rowcount)

    async def set_installment_status(self, installment_id: int, status: str) -> None:
        await self.conn.execute(
            update(installment_t)
            .where(installment_t.c.id == installment_id)
            .values(status=str(status))
        )

    async def record_payment(
        self,
        agreement_id: int,
        amount_cents: int,
        paid_at: datetime,
        source: str,
        external_id: str,
        *,
        installment_id: int | None = None,
        flagged: bool = False,
        note: str | None = None,
    ) -> int | None:
        """Store a payment; None when this external id was recorded before (redelivery)."""
        stmt = (
            self.insert_or_ignore(payment_t, ("external_id",))
            .values(
                agreement_id=agreement_id,
                installment_id=installment_id,
                amount_cents=amount_cents,
                paid_at=paid_at,
                source=str(PaymentSource(source)),
                external_id=external_id,
                flagged=flagged,
                note=note,
            )
            .returning(payment_t.c.id)
        )
        payment_id: int | None = (await self.conn.execute(stmt)).scalar_one_or_none()
        return payment_id

    async def payments(self, agreement_id: int) -> list[PaymentRow]:
        stmt = (
            select(payment_t)
            .where(payment_t.c.agreement_id == agreement_id)
            .order_by(payment_t.c.id)
        )
        return [PaymentRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]

    async def payment_by_external_id(self, external_id: str) -> PaymentRow | None:
        """The payment recorded under this external id (the payer's or bank's id), if any."""
        stmt = select(payment_t).where(payment_t.c.external_id == external_id)
        found = (await self.conn.execute(stmt)).mappings().first()
        return None if found is None else PaymentRow.from_row(found)

    async def set_status(
        self, agreement_id: int, status: str, *, now: datetime | None = None
    ) -> None:
        """Change the agreement's status; `completed` also stamps `completed_at`."""
        status = AgreementStatus(status)
        values: dict[str, object] = {"status": status.value}
        if status is AgreementStatus.COMPLETED:
            values["completed_at"] = now or utc_now()
        await self.conn.execute(
            update(agreement_t).where(agreement_t.c.id == agreement_id).values(**values)
        )

    async def set_payment_channel(self, agreement_id: int, payment_channel: str) -> None:
        """The debtor switched how they pay (PIX, boleto, card) for the coming installments."""
        await self.conn.execute(
            update(agreement_t)
            .where(agreement_t.c.id == agreement_id)
            .values(payment_channel=payment_channel)
        )
