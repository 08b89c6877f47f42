"""`cupx audit verify` exit codes and recorded overrides (C-7), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from typer.testing import CliRunner

from cupx.adapters.tables.compliance import guard_audit_records, guard_overrides
from cupx.compliance import evaluate
from cupx.entrypoints.cli import app
from cupx.services.audit import AuditRecordIn, append_records, verify_chain
from cupx.services.compliance_overrides import record_override

CTX = {"collector_role": "fdcpa_debt_collector",
       "consumer": {"id": "C1", "location_evidence": [{"kind": "postal_address", "value": "60606",
                                                        "tz": "America/Chicago"}]},
       "debts": [{"id": "D1"}]}
CONV = {"type": "telephone_conversation", "at": "2026-10-05T14:00:00-05:00", "person": "C1", "debt_ids": ["D1"]}
ACTION = {"type": "call", "at": "2026-10-06T12:00:00-05:00", "person": "C1", "number": "+13125550199",
          "debt_ids": ["D1"]}
NOW = datetime(2026, 10, 6, 17, 0, tzinfo=UTC)


def test_override_is_recorded_in_table_and_chain(runtime, engine) -> None:  # type: ignore[no-untyped-def]
    decision = evaluate(CTX, [CONV], ACTION)
    with runtime.uow() as uow:
        append_records(uow, [AuditRecordIn("d-1", NOW, ACTION, decision, [CONV], customer_id=1)])
        out = record_override(uow, decision_id="d-1", decision=decision, action=ACTION, username="alice",
                              role="compliance", reason="active_litigation", at=NOW, events=[CONV], customer_id=1)
        uow.commit()
    assert out.decision == "allowed"
    with engine.connect() as conn:
        row = conn.execute(select(guard_overrides)).mappings().one()
        outcomes = conn.execute(select(guard_audit_records.c.outcome).order_by(guard_audit_records.c.seq)).scalars()
        assert (row["username"], row["reason"]) == ("alice", "active_litigation")
        assert list(outcomes) == ["blocked", "allowed"]
    assert verify_chain(runtime).ok


def test_audit_verify_cli_exit_codes(runtime, engine, db_url) -> None:  # type: ignore[no-untyped-def]
    decision = evaluate(CTX, [], ACTION)
    with runtime.uow() as uow:
        append_records(uow, [AuditRecordIn(f"d-{i}", NOW, ACTION, decision, customer_id=1) for i in range(3)])
        uow.commit()
    ok = CliRunner().invoke(app, ["audit", "verify", "--database-url", db_url])
    assert ok.exit_code == 0, ok.output
    with engine.begin() as conn:
        conn.execute(update(guard_audit_records).where(guard_audit_records.c.seq == 2).values(outcome="blocked"))
    bad = CliRunner().invoke(app, ["audit", "verify", "--database-url", db_url])
    assert bad.exit_code == 1 and '"seq": 2' in bad.stdout and '"changed"' in bad.stdout


def test_audit_export_and_purge_cli(runtime, db_url) -> None:  # type: ignore[no-untyped-def]
    decision = evaluate(CTX, [], ACTION)
    with runtime.uow() as uow:
        append_records(uow, [AuditRecordIn("e-1", NOW, ACTION, decision, customer_id=1)])
        uow.commit()
    exported = CliRunner().invoke(app, ["audit", "export", "--debt", "D1", "--database-url", db_url])
    assert exported.exit_code == 0 and '"decision_id": "e-1"' in exported.stdout
    purged = CliRunner().invoke(app, ["audit", "purge", "--as-of", "2026-10-07", "--database-url", db_url])
    assert purged.exit_code == 0 and '"purged": 0' in purged.stdout
