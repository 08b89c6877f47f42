"""The dispatcher's claim reads go through the outbox's partial indexes (migration 0302) on both databases.

The statements checked are the ones `SqlOutboxRepository.claim` really sends (captured from the
connection), planned with their parameters: each must find its rows through an index whose predicate it
implies, in index order (no sort), or a claim would read every pending row of the outbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event
from test_dispatch_factories import NOW, seed_many

from cupx.bootstrap import Runtime
from cupx.services.dispatch_ports import OutboxRepository


@contextmanager
def _captured(conn: Connection) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ORDER BY" in statement:
            seen.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", capture)


def _plan(conn: Connection, statement: str, parameters: Any) -> str:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: ask whether the index CAN serve
        conn.exec_driver_sql("SET LOCAL enable_sort = off")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    else:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(str(r[-1]) for r in rows)


@pytest.mark.parametrize(("channels", "due_index"), [
    (None, "ix_outbox_messages_due"), (["sms"], "ix_outbox_messages_due_channel")])
def test_claims_read_due_and_expired_rows_through_the_partial_indexes(
        runtime: Runtime, channels: list[str] | None, due_index: str) -> None:
    seed_many(runtime, 40)
    with runtime.uow() as uow:
        with _captured(uow.connection) as seen:
            claimed = uow[OutboxRepository].claim(worker="w", now=NOW + timedelta(hours=1),
                                                  lease=timedelta(minutes=5), limit=10, channels=channels)
        assert len(claimed) == 10
        stale_sql, due_sql = seen[0], seen[1]  # expired leases first, then due rows
        assert "ix_outbox_messages_claimed" in _plan(uow.connection, *stale_sql)
        due_plan = _plan(uow.connection, *due_sql)
        assert f"{due_index} " in due_plan + " ", due_plan
        assert "Sort" not in due_plan and "TEMP B-TREE" not in due_plan, due_plan  # read in index order
        uow.rollback()
