"""The write step of a cycle run: the records, the audit records and the messages.

- records: the new decisions (their ids reserved first), ladder progress and new experiment assignments;
- audit: the guard's record of each contact (`cupx.services.cycle_audit`), appended to the hash chain;
- messages: the outbox rows (whose payloads name the decision ids) and the run's completion.

Invariants: an outbox row is never stored without its decision and without the audit record that proves
what the guard said about the contact (an audit record or a decision without its message is harmless: the
guard did answer, and a rerun adds the message). So the messages commit last.

Where the store allows several writers (`CycleStore.concurrent_writes`: PostgreSQL), each part has its own
transaction and connection and the three are written at once: the server backends, not Python, limit a
large write, and with one part per backend none of them waits for the longest. Once all three are
written, they commit in turn: records, audit, messages. A failure before the first commit rolls all of
them back. Between the commits, what is stored is a prefix of that order, and the run stays `started`; a
rerun finds the stored decisions and audit records, writes nothing twice and adds exactly what is missing
(outbox rows with the stored decisions' ids). Elsewhere (SQLite, one writer) the parts are written in turn
in one transaction, with no window at all.

The audit part reads the chain's head first, which locks out other audit appenders (the dispatcher's
guard) until it commits.

Checkpoints (for tests of interrupted runs): decisions_written, all_written (records, before their
commit), audit_written, outbox_written (each part written, before its commit); with concurrent writes
only, records_committed (the records committed, neither the audit nor the messages) and audit_committed
(the records and the audit committed, not the messages).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import polars as pl

from cupx.cycle.pipeline import CycleOutput
from cupx.services.audit import AuditRepository, PreparedRecords, insert_chained
from cupx.services.cycle_audit import cycle_audit_frame, cycle_audit_state
from cupx.services.cycle_ports import CycleStore, DecisionRows, RunRecord
from cupx.services.uow import UnitOfWork

__all__ = ["write_run"]

UowFactory = Callable[[], UnitOfWork]
Counts = Callable[[dict[str, int]], dict[str, Any]]  # written counts -> the run's stored counts


class _Aborted(Exception):
    """This part rolls back because another part failed (that part's error is the one raised)."""


def write_run(uow_factory: UowFactory, run: RunRecord, output: CycleOutput, now: datetime,
              checkpoint: Callable[[str], None], counts: Counts) -> dict[str, Any]:
    """Write the run's rows and mark it completed; returns the stored counts. Raises what failed."""
    with uow_factory() as uow:
        store = uow[CycleStore]
        rows = store.new_decisions(run, output.decisions, now)
        if not store.concurrent_writes:
            written = _records(store, run, output, rows, checkpoint)
            written.update(_audit_and_outbox(uow, store, run, output, rows, now, checkpoint))
            stored = counts(written)
            store.complete_run(run.id, now, stored)
            uow.commit()
            return stored
        return _concurrently(uow, store, uow_factory, run, output, rows, now, checkpoint, counts)


def _records(store: CycleStore, run: RunRecord, output: CycleOutput, rows: DecisionRows,
             checkpoint: Callable[[str], None]) -> dict[str, int]:
    written = store.write_records(run, output.decisions, rows, checkpoint)
    checkpoint("all_written")
    return written


def _audit(uow: UnitOfWork, run: RunRecord, output: CycleOutput, now: datetime,
           checkpoint: Callable[[str], None]) -> dict[str, int]:
    recorded, head = cycle_audit_state(uow, run.as_of)
    written = {"audit": insert_chained(uow, cycle_audit_frame(output.decisions, run.as_of, now, recorded, head))}
    checkpoint("audit_written")
    return written


def _audit_and_outbox(uow: UnitOfWork, store: CycleStore, run: RunRecord, output: CycleOutput,
                      rows: DecisionRows, now: datetime, checkpoint: Callable[[str], None]) -> dict[str, int]:
    """The audit records and the outbox rows in one transaction (a single writer)."""
    recorded, head = cycle_audit_state(uow, run.as_of)
    log = uow[AuditRepository]
    # The audit rows (bodies and hash chain: Python and Polars work) are built and made ready for their
    # insert (on SQLite: staged in a file) on a helper thread while the database takes the outbox rows.
    with ThreadPoolExecutor(1, thread_name_prefix="cycle-audit") as pool:
        ready = pool.submit(lambda: log.prepare_frame(
            cycle_audit_frame(output.decisions, run.as_of, now, recorded, head)))
        try:
            outbox = store.write_outbox(run, output.decisions, rows.ids, now)
            records = ready.result()
        except BaseException:
            _discard(ready)
            raise
    written = {"audit": insert_chained(uow, records)}
    checkpoint("audit_written")
    written["outbox"] = outbox
    checkpoint("outbox_written")
    return written


def _discard(ready: Future[pl.DataFrame | PreparedRecords]) -> None:
    """Free the helper's prepared records, which will not be inserted (its own error, if any, is not the
    one to report: the caller's is)."""
    try:
        records = ready.result()
    except BaseException:
        return
    if not isinstance(records, pl.DataFrame):
        records.discard()


class _Part:
    """A part written on its own connection: it says once whether it is written (ready), then waits to be
    told to commit or to roll back (go)."""

    def __init__(self) -> None:
        self._ready, self._go = threading.Event(), threading.Event()
        self.ready_ok = self.go_ok = False
        self.written: dict[str, int] = {}  # what the parts committed before it (for the run's counts)

    def ready(self, ok: bool) -> None:
        if not self._ready.is_set():
            self.ready_ok = ok
            self._ready.set()

    def wait_ready(self) -> bool:
        self._ready.wait()
        return self.ready_ok

    def go(self, ok: bool, written: dict[str, int] | None = None) -> None:
        if not self._go.is_set():
            self.written = written or {}
            self.go_ok = ok
            self._go.set()

    def wait_go(self) -> bool:
        self._go.wait()
        return self.go_ok


Write = Callable[[UnitOfWork], dict[str, int]]
Finish = Callable[[UnitOfWork, dict[str, int]], dict[str, Any]]


def _part(part: _Part, uow_factory: UowFactory, write: Write, finish: Finish) -> dict[str, Any]:
    """Write one part, wait for the go, finish it (`finish` gets the earlier parts' counts and this one's)
    and commit; roll back when told to or when anything fails."""
    try:
        with uow_factory() as uow:
            written = write(uow)
            part.ready(True)
            if not part.wait_go():
                raise _Aborted("another part of the write failed")
            result = finish(uow, {**part.written, **written})
            uow.commit()
            return result
    finally:
        part.ready(False)  # no-op once ready: only a failure before it gets here first


def _concurrently(uow: UnitOfWork, store: CycleStore, uow_factory: UowFactory, run: RunRecord,
                  output: CycleOutput, rows: DecisionRows, now: datetime, checkpoint: Callable[[str], None],
                  counts: Counts) -> dict[str, Any]:
    audit, messages = _Part(), _Part()

    def write_messages(m: UnitOfWork) -> dict[str, int]:
        written = {"outbox": m[CycleStore].write_outbox(run, output.decisions, rows.ids, now)}
        checkpoint("outbox_written")
        return written

    def finish_audit(_: UnitOfWork, written: dict[str, int]) -> dict[str, int]:
        checkpoint("records_committed")
        return written

    def finish_messages(m: UnitOfWork, written: dict[str, int]) -> dict[str, Any]:
        checkpoint("audit_committed")
        stored = counts(written)
        m[CycleStore].complete_run(run.id, now, stored)
        return stored

    with ThreadPoolExecutor(2, thread_name_prefix="cycle-write") as pool:
        audit_done = pool.submit(_part, audit, uow_factory, lambda a: _audit(a, run, output, now, checkpoint),
                                 finish_audit)
        messages_done = pool.submit(_part, messages, uow_factory, write_messages, finish_messages)
        try:
            written = _records(store, run, output, rows, checkpoint)
            if not all([audit.wait_ready(), messages.wait_ready()]):
                raise _Aborted("a part of the write failed")
            uow.commit()
        except BaseException as exc:
            for part in (audit, messages):
                part.go(False)
            cause = _own_failure([audit_done, messages_done])
            if isinstance(exc, _Aborted) and cause is not None:
                raise cause from None  # another part failed first: its error is the one to report
            raise
        audit.go(True)
        try:
            written.update(audit_done.result())
        except BaseException:
            messages.go(False)
            raise
        messages.go(True, written)
        return messages_done.result()


def _own_failure(parts: list[Future[dict[str, Any]]]) -> BaseException | None:
    """What a part raised first, unless it only rolled back because another failed."""
    for done in parts:
        try:
            done.result()
        except _Aborted:
            continue
        except BaseException as exc:  # returned, to be raised by the caller
            return exc
    return None
