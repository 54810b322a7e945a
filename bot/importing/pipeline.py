"""`import_debts`: read, validate every line, then write all or nothing in one transaction.

Validation finishes before the database is touched, so a file with one bad line imports
nothing (unless the operator asked to skip bad lines into a rejects file). A dry run does the
whole write and rolls it back, so its created/updated/unchanged counts are the real ones.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from bot.importing.columns import map_header
from bot.importing.decoding import DecodedFile, decode_csv
from bot.importing.errors import ImportFileError, RowError
from bot.importing.reading import read_header, read_records
from bot.importing.rejects import write_rejects
from bot.importing.validation import ImportRow, RejectedRecord, Validation, validate_records
from storage.database import Database
from storage.debt_import import (
    DebtImportCounts,
    ImportedDebt,
    ImportedDebtor,
    upsert_imported_debts,
)

__all__ = ["ImportReport", "Progress", "ValidatedFile", "import_debts", "validate_file"]

log = logging.getLogger(__name__)


class Progress(Protocol):
    """Where the pipeline reports how many debts it has written (a progress bar, or nothing)."""

    def start(self, total: int) -> None: ...
    def update(self, done: int) -> None: ...
    def finish(self) -> None: ...


class _RollBackDryRun(Exception):  # noqa: N818 - control flow, not an error
    """Leaves the import transaction by rolling it back, carrying the counts out."""

    def __init__(self, counts: DebtImportCounts) -> None:
        super().__init__("dry run")
        self.counts = counts


@dataclass(frozen=True, slots=True)
class ValidatedFile:
    decoded: DecodedFile
    header: list[str]
    validation: Validation


@dataclass(slots=True)
class ImportReport:
    """What an import found and did; `errors` are in file order."""

    path: Path
    rows_valid: int
    rejected: list[RejectedRecord]
    dry_run: bool
    rejects_path: Path | None
    written: bool = False
    counts: DebtImportCounts = field(default_factory=DebtImportCounts)

    @property
    def errors(self) -> list[RowError]:
        return [error for record in self.rejected for error in record.errors]

    @property
    def rows_read(self) -> int:
        return self.rows_valid + len(self.rejected)

    @property
    def refused(self) -> bool:
        """Bad lines and no rejects file: nothing was (or would be) imported."""
        return bool(self.rejected) and self.rejects_path is None

    def summary(self) -> str:
        if self.refused:
            return (
                f"{len(self.rejected)} of {self.rows_read} line(s) have errors; "
                "nothing imported (fix them, or use --skip-invalid REJECTS.csv)"
            )
        debtors, debts = self.counts.debtors, self.counts.debts
        verb = "would import" if self.dry_run else "imported"
        text = (
            f"{verb} {self.rows_valid} of {self.rows_read} line(s): "
            f"debtors {debtors.created} created, {debtors.updated} updated, "
            f"{debtors.unchanged} unchanged; "
            f"debts {debts.created} created, {debts.updated} updated, {debts.unchanged} unchanged"
        )
        if self.rejected:
            where = f" (see {self.rejects_path})" if not self.dry_run else ""
            text += f"; {len(self.rejected)} line(s) rejected{where}"
        if self.dry_run:
            text += "; dry run, nothing written"
        return text


def validate_file(path: Path, *, today: date) -> ValidatedFile:
    """Decode, read the header and check every line; raises ImportFileError if unreadable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    decoded = decode_csv(data)
    header = read_header(decoded)
    positions = map_header(header)
    validation = validate_records(
        read_records(decoded), positions, header_width=len(header), today=today
    )
    return ValidatedFile(decoded, header, validation)


def _to_storage(rows: list[ImportRow]) -> tuple[list[ImportedDebtor], list[ImportedDebt]]:
    """One debtor per debtor id (its latest line wins, as if lines were applied in order)."""
    debtors: dict[str, ImportedDebtor] = {}
    debts: list[ImportedDebt] = []
    for row in rows:
        previous = debtors.get(row.debtor_id)
        telegram_id = row.telegram_id or (previous.telegram_id if previous else None)
        debtors[row.debtor_id] = ImportedDebtor(
            external_id=row.debtor_id,
            name=row.name,
            cpf=row.cpf,
            birth_date=row.birth_date,
            email=row.email,
            phone=row.phone,
            state=row.state,
            telegram_id=telegram_id,
        )
        debts.append(
            ImportedDebt(
                debtor_external_id=row.debtor_id,
                contract=row.contract,
                description=row.description,
                principal_cents=row.amount_cents,
                due_date=row.due_date,
                boleto_line=row.boleto_line,
            )
        )
    return list(debtors.values()), debts


async def _write(
    db: Database,
    rows: list[ImportRow],
    *,
    now: datetime,
    dry_run: bool,
    progress: Progress | None,
) -> DebtImportCounts:
    debtors, debts = _to_storage(rows)
    if progress is not None:
        progress.start(len(debts))
    try:
        async with db.transaction() as tx:
            counts = await upsert_imported_debts(
                tx.connection,
                debtors,
                debts,
                now=now,
                on_progress=progress.update if progress is not None else None,
            )
            if dry_run:
                raise _RollBackDryRun(counts)  # noqa: TRY301 - rolls db.transaction() back
    except _RollBackDryRun as rolled_back:
        return rolled_back.counts
    finally:
        if progress is not None:
            progress.finish()
    return counts


async def import_debts(
    target: str | Database,
    path: Path | str,
    *,
    dry_run: bool = False,
    rejects_path: Path | str | None = None,
    today: date,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a debt CSV into the database at `target` (a URL or an open `Database`).

    Raises ImportFileError when the file as a whole is unusable. Bad lines are in the report;
    with them and no `rejects_path`, nothing is written. The schema must already exist.
    """
    source = Path(path)
    rejects = Path(rejects_path) if rejects_path is not None else None
    checked = await asyncio.to_thread(validate_file, source, today=today)
    validation = checked.validation
    report = ImportReport(
        path=source,
        rows_valid=len(validation.rows),
        rejected=validation.rejected,
        dry_run=dry_run,
        rejects_path=rejects,
    )
    log.info(
        "import validated: %d valid line(s), %d rejected", report.rows_valid, len(report.rejected)
    )
    if report.refused:
        return report
    if rejects is not None and validation.rejected and not dry_run:
        await asyncio.to_thread(
            write_rejects, rejects, checked.header, validation.rejected, checked.decoded
        )

    db = Database(target) if isinstance(target, str) else target
    try:
        report.counts = await _write(
            db,
            validation.rows,
            now=now or datetime.now(UTC),
            dry_run=dry_run,
            progress=progress,
        )
    finally:
        if isinstance(target, str):
            await db.dispose()
    report.written = not dry_run
    log.info("import %s", "rolled back (dry run)" if dry_run else "committed")
    return report
