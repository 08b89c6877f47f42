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
from typing import Any

from cupx.compliance.audit import build_record, canonical, chain_hash
from cupx.compliance.business_calendar import add_years
from cupx.compliance.decision import Decision
from cupx.services.uow import UnitOfWork

__all__ = ["AuditRecordIn", "AuditRepository", "VerifyReport", "append_records", "export_debt", "purge_expired",
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


class AuditRepository(abc.ABC):
    """Port: append-only storage of chained records."""

    @abc.abstractmethod
    def head(self) -> tuple[int, str]:
        """(seq, hash) of the last record, or of the last checkpoint, or (0, GENESIS)."""

    @abc.abstractmethod
    def insert(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    @abc.abstractmethod
    def checkpoint(self) -> tuple[int, str]:
        """(seq, hash) of the latest purge checkpoint, or (0, GENESIS)."""

    @abc.abstractmethod
    def iter_rows(self) -> Iterator[Mapping[str, Any]]:
        """All records ordered by seq."""

    @abc.abstractmethod
    def purge_through(self, seq: int, hash_: str, count: int, at: datetime) -> None: ...


def append_records(uow: UnitOfWork, records: Sequence[AuditRecordIn]) -> list[str]:
    """Append records to the chain in order (one bulk insert); returns their hashes. Caller commits."""
    repo = uow[AuditRepository]
    seq, prev = repo.head()
    rows, hashes = [], []
    for rec in records:
        body = build_record(rec.decision_id, rec.at, rec.action, rec.decision, rec.events,
                            customer_id=rec.customer_id, override=rec.override)
        seq += 1
        text = canonical(body)  # serialised once: the hash is chain_hash(prev, body) = sha256(prev || text)
        digest = hashlib.sha256((prev + text).encode()).hexdigest()
        rows.append({"seq": seq, "decision_id": rec.decision_id, "at": rec.at.astimezone(UTC),
                     "customer_id": rec.customer_id, "debt_ids": ",".join(body["debt_ids"]),
                     "action_type": body["action_type"], "outcome": body["outcome"],
                     "reason_codes": ",".join(body["reason_codes"]),
                     "retain_until": date.fromisoformat(body["retain_until"]), "body": text,
                     "prev_hash": prev, "hash": digest})
        hashes.append(digest)
        prev = digest
    repo.insert(rows)
    return hashes


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
