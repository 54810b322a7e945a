"""Debtors and their debts, and the read-only snapshot the dialog works from.

Imports upsert by the creditor's ids (debtor external id, contract per debtor), so loading
the same file twice changes nothing and a changed amount updates the debt in place.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select, update

from storage import tables
from storage.enums import DebtStatus
from storage.prepared import Prepared
from storage.repositories.base import Repository
from storage.repositories.debtor_snapshot import read_snapshot, read_snapshot_by_cpf
from storage.rows import DebtorRow, DebtRow
from storage.types import utc_now

if TYPE_CHECKING:  # dialogs.flow's package import loads the whole dialog machine
    from dialogs.flow.snapshots import DebtorSnapshot

debtor_t = tables.debtor
debt_t = tables.debt

_BY_CPF = Prepared(
    select(debtor_t)
    .where(debtor_t.c.cpf == bindparam("k_cpf"), debtor_t.c.erased_at.is_(None))
    .order_by(debtor_t.c.id)
    .limit(1)
)


_DEBTOR_FIELDS = ("name", "cpf", "birth_date", "email", "phone", "state")
_DEBT_FIELDS = ("description", "principal_cents", "due_date", "boleto_line")


class UpsertOutcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Upserted:
    id: int
    outcome: UpsertOutcome


@dataclass(frozen=True, slots=True)
class NewDebtor:
    external_id: str
    name: str
    cpf: str
    birth_date: date | None = None
    email: str | None = None
    phone: str | None = None  # E.164
    state: str | None = None


@dataclass(frozen=True, slots=True)
class NewDebt:
    debtor_id: int
    contract: str
    description: str
    principal_cents: int
    due_date: date
    boleto_line: str | None = None


class SqlDebtors(Repository):
    __slots__ = ()

    async def get(self, debtor_id: int) -> DebtorRow | None:
        return await self._one(debtor_t.c.id == debtor_id)

    async def by_external_id(self, external_id: str) -> DebtorRow | None:
        return await self._one(debtor_t.c.external_id == external_id)

    async def list_page(self, *, after_id: int = 0, limit: int = 100) -> list[DebtorRow]:
        """Debtors in id order, a page at a time (invites, exports)."""
        stmt = (
            select(debtor_t)
            .where(debtor_t.c.id > after_id, debtor_t.c.erased_at.is_(None))
            .order_by(debtor_t.c.id)
            .limit(limit)
        )
        return [DebtorRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]

    async def by_cpf(self, cpf: str) -> DebtorRow | None:
        """The (oldest) debtor with these eleven digits, ignoring erased records."""
        found = await self.conn.fetch(_BY_CPF, {"k_cpf": cpf})
        return DebtorRow.from_row(found[0]) if found else None

    async def by_phone(self, e164_variants: Sequence[str]) -> DebtorRow | None:
        """The debtor whose phone is any of the given spellings (e.g. with/without the 9)."""
        if not e164_variants:
            return None
        return await self._one(debtor_t.c.phone.in_(list(e164_variants)))

    async def _one(self, condition: object) -> DebtorRow | None:
        stmt = (
            select(debtor_t)
            .where(condition, debtor_t.c.erased_at.is_(None))  # type: ignore[arg-type]
            .order_by(debtor_t.c.id)
            .limit(1)
        )
        found = (await self.conn.execute(stmt)).mappings().first()
        return None if found is None else DebtorRow.from_row(found)

    async def upsert(self, new: NewDebtor, *, now: datetime | None = None) -> Upserted:
        """Insert or update by external id (only if something differs)."""
        now = now or utc_now()
        values = {
            "external_id": new.external_id,
            **{name: getattr(new, name) for name in _DEBTOR_FIELDS},
            "created_at": now,
            "updated_at": now,
        }
        stmt = self.upsert_statement(debtor_t, ("external_id",), _DEBTOR_FIELDS, updated_at=now)
        return await self._upserted(
            stmt.values(values).returning(debtor_t.c.id, debtor_t.c.created_at),
            select(debtor_t.c.id).where(debtor_t.c.external_id == new.external_id),
            now,
        )

    async def upsert_debt(self, new: NewDebt, *, now: datetime | None = None) -> Upserted:
        """Insert or update by (debtor, contract) (only if something differs)."""
        now = now or utc_now()
        values = {
            "debtor_id": new.debtor_id,
            "contract": new.contract,
            **{name: getattr(new, name) for name in _DEBT_FIELDS},
            "status": DebtStatus.OPEN.value,
            "paid_cents": 0,
            "created_at": now,
            "updated_at": now,
        }
        stmt = self.upsert_statement(
            debt_t, ("debtor_id", "contract"), _DEBT_FIELDS, updated_at=now
        )
        return await self._upserted(
            stmt.values(values).returning(debt_t.c.id, debt_t.c.created_at),
            select(debt_t.c.id).where(
                debt_t.c.debtor_id == new.debtor_id, debt_t.c.contract == new.contract
            ),
            now,
        )

    async def _upserted(self, upsert: Any, existing: Any, now: datetime) -> Upserted:
        written = (await self.conn.execute(upsert)).first()
        if written is None:
            row_id: int = (await self.conn.execute(existing)).scalar_one()
            return Upserted(row_id, UpsertOutcome.UNCHANGED)
        outcome = UpsertOutcome.CREATED if written.created_at == now else UpsertOutcome.UPDATED
        return Upserted(written.id, outcome)

    async def debts(self, debtor_id: int, *, include_paid: bool = False) -> list[DebtRow]:
        stmt = select(debt_t).where(debt_t.c.debtor_id == debtor_id).order_by(debt_t.c.due_date)
        if not include_paid:
            stmt = stmt.where(debt_t.c.status != DebtStatus.PAID.value)
        return [DebtRow.from_row(r) for r in (await self.conn.execute(stmt)).mappings()]

    async def set_debt_status(
        self, debt_ids: Sequence[int], status: str, *, now: datetime | None = None
    ) -> None:
        stmt = (
            update(debt_t)
            .where(debt_t.c.id.in_(list(debt_ids)))
            .values(status=str(status), updated_at=now or utc_now())
        )
        await self.conn.execute(stmt)

    async def set_debt_paid(
        self, debt_id: int, paid_cents: int, status: str, *, now: datetime | None = None
    ) -> None:
        """Record how much of a debt is paid (a broken agreement's payments) and its status."""
        stmt = (
            update(debt_t)
            .where(debt_t.c.id == debt_id)
            .values(
                paid_cents=paid_cents,
                status=str(DebtStatus(status)),
                updated_at=now or utc_now(),
            )
        )
        await self.conn.execute(stmt)

    async def snapshot_by_cpf(self, cpf: str) -> DebtorSnapshot | None:
        """`snapshot` of the debtor `by_cpf` finds, in one statement."""
        return await read_snapshot_by_cpf(self.conn, cpf)

    async def snapshot(self, debtor_id: int) -> DebtorSnapshot | None:
        """Debtor, unpaid debts and live agreements (not cancelled) with their installments."""
        return await read_snapshot(self.conn, debtor_id)
