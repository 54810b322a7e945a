"""Bank reconciliation files (`quita payments import`): every line checked before anything
is written, then each payment confirmed through the conversation service.

Columns (header names, any order, `;` or `,`): `external_id`, `amount`, `paid_at`, and
either `txid` or `agreement_id` + `installment`; optional `note`. Same discipline as the debt
import: `line N, column C: problem`, nothing written while any line is wrong unless the bad
lines go to a rejects file, and the same file imported twice records each payment once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.importing.decoding import decode_csv
from bot.importing.errors import ImportFileError, RowError
from bot.importing.reading import RawRecord, read_header, read_records
from bot.importing.rejects import write_rejects
from bot.importing.validation import RejectedRecord
from bot.payments.confirmation import (
    NoticeError,
    PaymentNotice,
    UnknownInstallmentError,
    confirm_notice,
    parse_notice,
    resolve,
)
from bot.service import ConversationService

__all__ = ["ReconciliationReport", "import_payments"]

COLUMNS = ("external_id", "amount", "paid_at", "txid", "agreement_id", "installment", "note")
REQUIRED = ("external_id", "amount", "paid_at")
SOURCE = "reconciliation"


@dataclass(slots=True)
class ReconciliationReport:
    lines: int = 0
    recorded: int = 0
    flagged: int = 0
    already_recorded: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected: int = 0
    dry_run: bool = False
    refused: bool = False  # errors and no rejects file: nothing written
    rejects_path: Path | None = None

    def summary(self) -> str:
        if self.refused:
            return (
                f"nothing imported: {len(self.errors)} error(s) in {self.rejected} of "
                f"{self.lines} line(s); fix them or use --skip-invalid REJECTS.csv"
            )
        valid = self.lines - self.rejected
        if self.dry_run:
            return (
                f"dry run: {valid - self.already_recorded} payment(s) would be recorded, "
                f"{self.already_recorded} already recorded, {self.rejected} rejected; "
                "nothing written"
            )
        text = (
            f"payments: {self.recorded} recorded ({self.flagged} flagged for review), "
            f"{self.already_recorded} already recorded, {self.rejected} rejected"
        )
        if self.rejects_path is not None and self.rejected:
            text += f" (written to {self.rejects_path})"
        return text


@dataclass(frozen=True, slots=True)
class _Valid:
    line: int
    fields: list[str]
    notice: PaymentNotice


def _columns(header: list[str]) -> Mapping[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().lower()
        if name in COLUMNS:
            if name in positions:
                raise ImportFileError(f"line 1: column {name} appears twice in the header")
            positions[name] = index
    missing = [name for name in REQUIRED if name not in positions]
    if "txid" not in positions and not {"agreement_id", "installment"} <= set(positions):
        missing.append("txid (or agreement_id and installment)")
    if missing:
        raise ImportFileError(
            "line 1: missing required column(s): "
            + ", ".join(missing)
            + " (expected header: external_id,amount,paid_at,txid[,note])"
        )
    return positions


async def import_payments(
    service: ConversationService,
    path: Path,
    *,
    now: datetime,
    zone: ZoneInfo,
    dry_run: bool = False,
    rejects_path: Path | None = None,
) -> ReconciliationReport:
    """Validate the whole file, then (unless refused or a dry run) confirm each payment."""
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as error:
        raise ImportFileError(f"cannot read {path} ({error.strerror})") from None
    decoded = decode_csv(data)
    header = read_header(decoded)
    columns = _columns(header)
    report = ReconciliationReport(dry_run=dry_run, rejects_path=rejects_path)
    valid: list[_Valid] = []
    rejected: list[RejectedRecord] = []
    seen: dict[str, int] = {}
    for record in read_records(decoded):
        report.lines += 1
        if isinstance(record, RowError):
            rejected.append(RejectedRecord(record.line, [], [record]))
            continue
        outcome = _validate(record, columns, now=now, zone=zone, seen=seen)
        if isinstance(outcome, RowError):
            rejected.append(RejectedRecord(record.line, record.fields, [outcome]))
        else:
            valid.append(outcome)
    rejected += await _match(service, valid)
    matched_lines = {r.line for r in rejected}
    valid = [v for v in valid if v.line not in matched_lines]
    report.errors = [e for r in sorted(rejected, key=lambda r: r.line) for e in r.errors]
    report.rejected = len(rejected)
    if rejected and rejects_path is None:
        report.refused = True
        return report
    if rejected and rejects_path is not None:
        write_rejects(rejects_path, header, sorted(rejected, key=lambda r: r.line), decoded)
    if dry_run:
        async with service.db.transaction(write=False) as tx:
            for item in valid:
                if await tx.agreements.payment_by_external_id(item.notice.external_id):
                    report.already_recorded += 1
        return report
    for item in valid:
        result = await confirm_notice(service, item.notice, SOURCE)
        if result.status == "duplicate":
            report.already_recorded += 1
        else:
            report.recorded += 1
            report.flagged += int(result.flagged)
    return report


def _validate(
    record: RawRecord,
    columns: Mapping[str, int],
    *,
    now: datetime,
    zone: ZoneInfo,
    seen: dict[str, int],
) -> _Valid | RowError:
    cells = {
        name: record.fields[index] if index < len(record.fields) else ""
        for name, index in columns.items()
    }
    try:
        notice = parse_notice(cells, now=now, brazilian_amounts=True, date_zone=zone)
    except NoticeError as error:
        return RowError(record.line, error.field, error.message)
    first = seen.setdefault(notice.external_id, record.line)
    if first != record.line:
        return RowError(record.line, "external_id", f"the same payment is on line {first}")
    return _Valid(record.line, record.fields, notice)


async def _match(service: ConversationService, valid: list[_Valid]) -> list[RejectedRecord]:
    """Lines whose installment Quita does not know (checked before anything is written)."""
    rejected: list[RejectedRecord] = []
    async with service.db.transaction(write=False) as tx:
        for item in valid:
            try:
                await resolve(tx, item.notice)
            except UnknownInstallmentError as error:
                problem = RowError(item.line, error.field, error.message)
                rejected.append(RejectedRecord(item.line, item.fields, [problem]))
    return rejected
