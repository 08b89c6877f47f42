"""The write step of a cycle run: the records and the messages, committed in that order.

- records: the new decisions (their ids reserved first), ladder progress and new experiment assignments;
- messages: the outbox rows (whose payloads name the decision ids), the guard's audit record of each
  contact (`cupx.services.cycle_audit`) and the run's completion: a contact and the record that proves
  what the guard said about it always land together.

Where the store allows two writers (`CycleStore.concurrent_writes`: PostgreSQL), each part has its own
transaction and connection and both are written at once: the server backend, not Python, is what limits
a large write, so two backends take about half the time. They commit in a fixed order through a
handshake: the records commit only once the messages are written and waiting; the messages (and the
run's completion) commit only after the records did. A failure before the records commit rolls both
back. The one window left is between the two commits: the records are then stored without their outbox
rows and the run stays `started`; a rerun finds the stored decisions, writes nothing twice and adds
exactly the missing outbox rows (with the stored decisions' ids) and audit records. Elsewhere (SQLite, one writer) both
parts are written in turn in one transaction, with no window at all.

The messages side reads the audit chain's head first, which locks out other audit appenders (the
dispatcher's guard) until it commits; its audit rows are built and chained on a helper thread meanwhile.

Checkpoints (for tests of interrupted runs): decisions_written, all_written (records side, before their
commit), outbox_written (messages side, with the audit records, before the handshake), records_committed
(concurrent writes only, between the two commits).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from cupx.cycle.pipeline import CycleOutput
from cupx.services.audit import insert_chained
from cupx.services.cycle_audit import cycle_audit_frame, cycle_audit_state
from cupx.services.cycle_ports import CycleStore, DecisionRows, RunRecord
from cupx.services.uow import UnitOfWork

__all__ = ["write_run"]

UowFactory = Callable[[], UnitOfWork]
Counts = Callable[[dict[str, int]], dict[str, Any]]  # written counts -> the run's stored counts


class _Aborted(Exception):
    """This side rolls back because the other side failed (the other side's error is the one raised)."""


def write_run(uow_factory: UowFactory, run: RunRecord, output: CycleOutput, now: datetime,
              checkpoint: Callable[[str], None], counts: Counts) -> dict[str, Any]:
    """Write the run's rows and mark it completed; returns the stored counts. Raises what failed."""
    with uow_factory() as uow:
        store = uow[CycleStore]
        rows = store.new_decisions(run, output.decisions, now)
        if not store.concurrent_writes:
            written = _records(store, run, output, rows, checkpoint)
            written.update(_outbox(uow, store, run, output, rows, now, checkpoint))
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


def _outbox(uow: UnitOfWork, store: CycleStore, run: RunRecord, output: CycleOutput, rows: DecisionRows,
            now: datetime, checkpoint: Callable[[str], None]) -> dict[str, int]:
    recorded, head = cycle_audit_state(uow, run.as_of)
    # The audit rows (bodies and hash chain: Python and Polars work) are built on a helper thread while the
    # server takes the outbox rows, so they are ready when the outbox is written: this side is the longer.
    with ThreadPoolExecutor(1, thread_name_prefix="cycle-audit") as pool:
        audit = pool.submit(cycle_audit_frame, output.decisions, run.as_of, now, recorded, head)
        outbox = store.write_outbox(run, output.decisions, rows.ids, now)
        records = audit.result()
    written = {"outbox": outbox, "audit": insert_chained(uow, records)}
    checkpoint("outbox_written")
    return written


class _Handshake:
    """Each side says once whether it is ready (messages) or committed (records); the other waits for it."""

    def __init__(self) -> None:
        self._messages, self._records = threading.Event(), threading.Event()
        self.messages_ok = self.records_ok = False
        self.written: dict[str, int] = {}

    def messages_ready(self, ok: bool) -> None:
        if not self._messages.is_set():
            self.messages_ok = ok
            self._messages.set()

    def records_committed(self, ok: bool, written: dict[str, int] | None = None) -> None:
        if not self._records.is_set():
            self.written = written or {}
            self.records_ok = ok
            self._records.set()

    def wait_messages(self) -> bool:
        self._messages.wait()
        return self.messages_ok

    def wait_records(self) -> bool:
        self._records.wait()
        return self.records_ok


def _concurrently(uow: UnitOfWork, store: CycleStore, uow_factory: UowFactory, run: RunRecord,
                  output: CycleOutput, rows: DecisionRows, now: datetime, checkpoint: Callable[[str], None],
                  counts: Counts) -> dict[str, Any]:
    hs = _Handshake()
    with ThreadPoolExecutor(1, thread_name_prefix="cycle-outbox") as pool:
        messages = pool.submit(_messages, uow_factory, run, output, rows, now, checkpoint, counts, hs)
        try:
            written = _records(store, run, output, rows, checkpoint)
            if not hs.wait_messages():
                raise _Aborted("the outbox rows failed")
            uow.commit()
        except BaseException as exc:
            hs.records_committed(False)
            cause = _own_failure(messages)
            if isinstance(exc, _Aborted) and cause is not None:
                raise cause from None  # the messages side failed first: its error is the one to report
            raise
        hs.records_committed(True, written)
        return messages.result()


def _own_failure(messages: Future[dict[str, Any]]) -> BaseException | None:
    """What the messages side raised, unless it only rolled back because the records failed."""
    try:
        messages.result()
    except _Aborted:
        return None
    except BaseException as exc:  # returned, to be raised by the caller
        return exc
    return None


def _messages(uow_factory: UowFactory, run: RunRecord, output: CycleOutput, rows: DecisionRows, now: datetime,
              checkpoint: Callable[[str], None], counts: Counts, hs: _Handshake) -> dict[str, Any]:
    try:
        with uow_factory() as uow:
            store = uow[CycleStore]
            written = _outbox(uow, store, run, output, rows, now, checkpoint)
            hs.messages_ready(True)
            if not hs.wait_records():
                raise _Aborted("the records failed")
            checkpoint("records_committed")
            stored = counts({**hs.written, **written})
            store.complete_run(run.id, now, stored)
            uow.commit()
            return stored
    finally:
        hs.messages_ready(False)  # no-op once ready: only a failure before it gets here first
