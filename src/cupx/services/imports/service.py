"""`import_file`: one import run, from a file on disk to rows in the database (contract C9).

Invariants:
- A malformed file (not UTF-8, bad header, bad JSON line) raises `ValidationError` before anything is
  written (the CLI exits 2).
- Every row is validated; rows with problems are listed in `FILE.rejects.csv` (row, field, reason) next to
  the file and the good rows land. A stale rejects file from an earlier run is removed when none remain.
- All writes of a run, including its `import_runs` record, happen in one transaction: any failure rolls
  everything back, so nothing is half-written.
- Idempotent: importing the same file again inserts and updates nothing.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from cupx.domain.errors import ValidationError
from cupx.services.imports import contacts, customers, debts, ledger
from cupx.services.imports.customers import Cipher
from cupx.services.imports.ports import ImportReport, ImportRepository, Progress
from cupx.services.imports.reading import FileSpec, read_file
from cupx.services.uow import UnitOfWork

__all__ = ["ImportKind", "import_file", "rejects_path_for"]


class ImportKind(StrEnum):
    CUSTOMERS = "customers"  # people and their contact points (encrypted)
    DEBTS = "debts"  # accounts in collection, each of a customer
    LEDGER = "ledger"  # append-only money movements of debts
    CONTACTS = "contacts"  # contact history and compliance events


class ImportRuntime(Protocol):
    """What the importer needs of `cupx.bootstrap.Runtime` (a layer above services)."""

    @property
    def cipher(self) -> Cipher: ...

    def uow(self, **context: Any) -> UnitOfWork: ...


_SPECS: dict[ImportKind, FileSpec] = {
    ImportKind.CUSTOMERS: customers.SPEC, ImportKind.DEBTS: debts.SPEC,
    ImportKind.LEDGER: ledger.SPEC, ImportKind.CONTACTS: contacts.SPEC,
}


def rejects_path_for(path: Path) -> Path:
    """`customers.csv` -> `customers.rejects.csv`, next to the file."""
    return path.with_name(f"{path.stem}.rejects.csv")


def _no_progress(stage: str, completed: int, total: int) -> None:
    del stage, completed, total


def import_file(runtime: ImportRuntime, kind: str, path: str | Path, *, progress: Progress | None = None,
                now: datetime | None = None) -> ImportReport:
    """Import one file of `kind` (customers, debts, ledger, contacts); see docs/imports.md."""
    try:
        which = ImportKind(kind)
    except ValueError:
        raise ValidationError(f"unknown import kind {kind!r}; use one of {', '.join(ImportKind)}",
                              field="kind") from None
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"no such file: {path}", field="file")
    tell: Callable[[str, int, int], None] = progress or _no_progress
    started, clock = time.perf_counter(), now or datetime.now(UTC)
    tell("reading", 0, 1)
    frame = read_file(path, _SPECS[which])
    tell("validating", 0, frame.height)
    report = ImportReport(kind=which.value, path=path, rows_total=frame.height)
    with runtime.uow() as uow:
        repo = uow[ImportRepository]  # type: ignore[type-abstract]
        checker, counts = _run(which, frame, repo, runtime, clock, tell)
        problems = checker.problems()
        report.rejected = problems["row"].n_unique()
        report.inserted, report.updated, report.unchanged = counts["inserted"], counts["updated"], counts["unchanged"]
        report.run_id = _record_run(repo, report, path, clock)
        uow.commit()
    report.problems = [(int(r), str(f), str(why)) for r, f, why in problems.iter_rows()]
    report.rejects_path = _write_rejects(path, problems)
    report.seconds = time.perf_counter() - started
    tell("done", frame.height, frame.height)
    return report


def _run(which: ImportKind, frame: pl.DataFrame, repo: ImportRepository, runtime: ImportRuntime, now: datetime,
         tell: Callable[[str, int, int], None]) -> tuple[Any, dict[str, int]]:
    if which == ImportKind.CUSTOMERS:
        return customers.import_customers(frame, repo, runtime.cipher, now, tell)
    if which == ImportKind.DEBTS:
        return debts.import_debts(frame, repo, now, tell)
    if which == ImportKind.LEDGER:
        return ledger.import_ledger(frame, repo, now, tell)
    return contacts.import_contacts(frame, repo, now, tell)


def _record_run(repo: ImportRepository, report: ImportReport, path: Path, now: datetime) -> int:
    run_id = repo.allocate_ids("import_runs", 1)
    repo.insert("import_runs", pl.DataFrame([{
        "id": run_id, "kind": report.kind, "filename": str(path)[-500:], "file_sha256": _sha256(path),
        "started_at": now, "finished_at": datetime.now(UTC), "rows_total": report.rows_total,
        "rows_inserted": report.inserted, "rows_updated": report.updated, "rows_unchanged": report.unchanged,
        "rows_rejected": report.rejected,
    }]))
    return run_id


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_rejects(path: Path, problems: pl.DataFrame) -> Path | None:
    target = rejects_path_for(path)
    if problems.height == 0:
        target.unlink(missing_ok=True)
        return None
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["row", "field", "reason"])
        writer.writerows(problems.iter_rows())
    return target
