"""Guard audit records: append (single and bulk), verify the hash chain, purge past retention.

Use from any handler or the cycle inside a unit of work:

    from cupx.services.audit import AuditRecordIn, append_records
    with runtime.uow() as uow:
        hashes = append_records(uow, [AuditRecordIn(decision_id, at, action, decision, events, customer_id)])
        uow.commit()

Records are append-only: the repository has no update; deletion only through `purge_expired`, which
removes a prefix of the chain whose retention (C-15/C-17: last activity on each debt + 3 years) has
passed and writes a checkpoint so `verify_chain` still succeeds.
"""

from __future__ import annotations

import abc
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

import polars as pl

from cupx.compliance.audit import build_record, canonical, chain_hash
from cupx.compliance.business_calendar import add_years
from cupx.compliance.decision import Decision
from cupx.services.uow import UnitOfWork

__all__ = ["AuditRecordIn", "AuditRepository", "PreparedRecords", "VerifyReport", "append_frame", "append_records",
           "chain_head", "chained", "export_debt", "insert_chained", "purge_expired", "record_frame",
           "verify_chain", "verify_rows"]


@dataclass(frozen=True)
class AuditRecordIn:
    """One evaluation to record (§7.6)."""

    decision_id: str
    at: datetime
    action: Mapping[str, Any]
    decision: Decision
    events: Sequence[Any] = ()
    customer_id: int | None = None
    override: Mapping[str, Any] | None = None


class PreparedRecords(Protocol):
    """Rows made ready for `insert_frame` ahead of it (`AuditRepository.prepare_frame`), inserted once."""

    height: int

    def discard(self) -> None:
        """Free what was prepared (the rows will not be inserted)."""


class AuditRepository(abc.ABC):
    """Port: append-only storage of chained records."""

    @abc.abstractmethod
    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last record, or of the last checkpoint, or (0, GENESIS)."""

    @abc.abstractmethod
    def insert(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def insert_frame(self, frame: pl.DataFrame | PreparedRecords) -> None:
        """Bulk form of `insert` (same columns); adapters override it with their bulk path."""
        assert isinstance(frame, pl.DataFrame), "this repository prepares nothing ahead"
        self.insert(frame.to_dicts())

    def prepare_frame(self, frame: pl.DataFrame) -> pl.DataFrame | PreparedRecords:
        """`frame` made ready for `insert_frame` now, so that the work can be done on another thread while
        the connection writes something else. Touches no connection. Adapters with a bulk path override it."""
        return frame

    @abc.abstractmethod
    def checkpoint(self) -> tuple[int, str]:
        """(seq, hash) of the latest purge checkpoint, or (0, GENESIS)."""

    @abc.abstractmethod
    def iter_rows(self) -> Iterator[Mapping[str, Any]]:
        """All records ordered by seq."""

    @abc.abstractmethod
    def purge_through(self, seq: int, hash_: str, count: int, at: datetime) -> None: ...


_RECORD_SCHEMA = {"decision_id": pl.String(), "at": pl.Datetime("us", "UTC"), "customer_id": pl.Int64(),
                  "debt_ids": pl.String(), "action_type": pl.String(), "outcome": pl.String(),
                  "reason_codes": pl.String(), "retain_until": pl.Date(), "body": pl.String()}


def append_records(uow: UnitOfWork, records: Sequence[AuditRecordIn]) -> list[str]:
    """Append records to the chain in order (one bulk insert); returns their hashes. Caller commits."""
    rows = []
    for rec in records:
        body = build_record(rec.decision_id, rec.at, rec.action, rec.decision, rec.events,
                            customer_id=rec.customer_id, override=rec.override)
        rows.append((rec.decision_id, rec.at.astimezone(UTC), rec.customer_id, ",".join(body["debt_ids"]),
                     body["action_type"], body["outcome"], ",".join(body["reason_codes"]),
                     date.fromisoformat(body["retain_until"]), canonical(body)))
    return _chain(uow[AuditRepository], pl.DataFrame(rows, schema=_RECORD_SCHEMA, orient="row"))


def append_frame(uow: UnitOfWork, records: pl.DataFrame) -> int:
    """Append records given as a frame (`cupx.compliance.audit_frames.batch_record_frame`: the stored
    columns with each canonical `body`) to the chain in row order, in one bulk insert; returns how
    many. Caller commits."""
    return len(_chain(uow[AuditRepository], record_frame(records)))


def record_frame(records: pl.DataFrame) -> pl.DataFrame:
    """The stored columns of `append_frame`'s input, in their stored types (the input of `chained`)."""
    return records.select(list(_RECORD_SCHEMA)).cast(_RECORD_SCHEMA)  # type: ignore[arg-type]


def _chain(repo: AuditRepository, records: pl.DataFrame) -> list[str]:
    """Number the records after the chain's head, hash each over the previous hash, insert them."""
    if records.height == 0:
        return []
    frame = chained(records, repo.head())
    repo.insert_frame(frame)
    return frame.get_column("hash").to_list()


def chained(records: pl.DataFrame, head: tuple[int, str]) -> pl.DataFrame:
    """The records (`append_frame`'s columns) numbered after `head` = (seq, hash), each hashed over the
    previous hash: the stored rows, ready for `insert_chained`. Pure, so it may run on any thread; the
    rows are only valid in the transaction that read `head` (`chain_head`), which holds the appenders'
    lock until it commits."""
    seq, start = head
    if records.height == 0:
        return records.with_columns(seq=pl.lit(None, pl.Int64), prev_hash=pl.lit(None, pl.String),
                                    hash=pl.lit(None, pl.String))
    prev, hashes = start, []
    sha256 = hashlib.sha256
    for text in records.get_column("body"):  # chain_hash(prev, body) = sha256(prev || canonical text)
        prev = sha256((prev + text).encode()).hexdigest()
        hashes.append(prev)
    return records.with_columns(
        seq=pl.int_range(seq + 1, seq + 1 + records.height, dtype=pl.Int64),
        prev_hash=pl.Series([start, *hashes[:-1]], dtype=pl.String),
        hash=pl.Series(hashes, dtype=pl.String),
    )


def chain_head(uow: UnitOfWork) -> tuple[int, str]:
    """(seq, hash) the next append follows; takes the appenders' lock, held until the caller's transaction
    ends, so no other record can be appended between this read and `insert_chained`."""
    return uow[AuditRepository].head()


def insert_chained(uow: UnitOfWork, frame: pl.DataFrame | PreparedRecords) -> int:
    """Insert rows made by `chained` from this transaction's `chain_head` (or those rows as the repository
    prepared them); returns how many."""
    if frame.height:
        uow[AuditRepository].insert_frame(frame)
    return frame.height


@dataclass
class VerifyReport:
    ok: bool = True
    checked: int = 0
    problem: str | None = None  # changed | inserted | deleted
    seq: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "problem": self.problem, "seq": self.seq, **self.details}


def verify_rows(rows: Iterator[Mapping[str, Any]], start: tuple[int, str]) -> VerifyReport:
    """Walk the chain from a checkpoint; report the first changed, inserted or deleted record."""
    expected_seq, prev = start[0] + 1, start[1]
    report = VerifyReport()
    for row in rows:
        seq = int(row["seq"])
        body = json.loads(row["body"])
        recomputed = chain_hash(row["prev_hash"], body)
        if seq > expected_seq:
            return VerifyReport(False, report.checked, "deleted", expected_seq, {"next_present": seq})
        columns_match = (body.get("decision_id") == row["decision_id"] and body.get("outcome") == row["outcome"]
                         and ",".join(body.get("reason_codes", [])) == row["reason_codes"]
                         and ",".join(body.get("debt_ids", [])) == row["debt_ids"])
        if recomputed != row["hash"] or not columns_match:
            return VerifyReport(False, report.checked, "changed", seq)
        if row["prev_hash"] != prev:
            return VerifyReport(False, report.checked, "inserted", seq)
        prev, expected_seq = row["hash"], seq + 1
        report.checked += 1
    return report


def verify_chain(runtime: Any) -> VerifyReport:
    with runtime.uow() as uow:
        repo = uow[AuditRepository]
        return verify_rows(repo.iter_rows(), repo.checkpoint())


def purge_expired(runtime: Any, today: date) -> dict[str, Any]:
    """Delete the longest prefix of records whose debts' last recorded activity + 3 years < today."""
    with runtime.uow() as uow:
        repo = uow[AuditRepository]
        rows = list(repo.iter_rows())
        last_activity: dict[str, date] = {}
        for row in rows:
            for debt in filter(None, str(row["debt_ids"]).split(",")):
                last_activity[debt] = max(last_activity.get(debt, date.min), row["at"].date())
        cut = None
        for row in rows:
            debts = list(filter(None, str(row["debt_ids"]).split(",")))
            keep_until = max([add_years(last_activity[d], 3) for d in debts] + [row["retain_until"]])
            if keep_until >= today:
                break
            cut = row
        if cut is None:
            return {"purged": 0}
        count = sum(1 for r in rows if r["seq"] <= cut["seq"])
        repo.purge_through(int(cut["seq"]), str(cut["hash"]), count, datetime.now(UTC))
        uow.commit()
        return {"purged": count, "checkpoint_seq": int(cut["seq"])}


def export_debt(runtime: Any, debt_id: str) -> list[dict[str, Any]]:
    """Every stored record that concerns `debt_id`, in chain order (§7.6: exportable per debt)."""
    with runtime.uow() as uow:
        out = []
        for row in uow[AuditRepository].iter_rows():
            if debt_id in str(row["debt_ids"]).split(","):
                out.append({"seq": int(row["seq"]), "hash": row["hash"], **json.loads(row["body"])})
        return out
