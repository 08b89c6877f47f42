"""Imports on both databases: good files land, bad rows are rejected with reasons while the rest lands,
malformed files write nothing, re-imports change nothing, and a failure mid-write rolls back everything."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cupx.adapters.tables.core import (
    contact_events,
    customer_addresses,
    customer_emails,
    customer_phones,
    customers,
    debts,
    import_runs,
    ledger_entries,
)
from cupx.bootstrap import Runtime
from cupx.compliance.timezones import candidate_zones
from cupx.domain.errors import ValidationError
from cupx.services.imports import ImportRepository, import_file

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
NOW = datetime(2026, 9, 8, 12, 0, tzinfo=UTC)
SAMPLE_FILES = [("customers", "customers.csv"), ("debts", "debts.csv"), ("ledger", "ledger.csv"),
                ("contacts", "contacts.jsonl")]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def count(runtime: Runtime, table: object) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def import_samples(runtime: Runtime, tmp_path: Path) -> dict[str, dict[str, object]]:
    out = {}
    for kind, name in SAMPLE_FILES:
        copy = tmp_path / name
        copy.write_bytes((SAMPLES / name).read_bytes())
        out[kind] = import_file(runtime, kind, copy, now=NOW).to_dict()
    return out


CUSTOMERS = """external_id,full_name,phone,email,address_line1,city,state,postal_code,flags
C1,Ada Lovelace,(312) 555-0199,ada@Example.com,1 Main St,Chicago,IL,60601,
C2,Bob Stone,+14155550123,,,,,,vulnerable;military
"""
DEBTS = """external_id,customer_external_id,creditor,product,currency,original_amount,due_date
D1,C1,Acme Bank,credit_card,USD,1200.50,2026-06-01
D2,C2,Acme Bank,personal_loan,USD,300,2026-07-01
"""


def base_portfolio(runtime: Runtime, tmp_path: Path) -> None:
    assert import_file(runtime, "customers", write(tmp_path / "c.csv", CUSTOMERS), now=NOW).ok
    assert import_file(runtime, "debts", write(tmp_path / "d.csv", DEBTS), now=NOW).ok


def test_sample_portfolio_imports_and_reimport_changes_nothing(runtime: Runtime, tmp_path: Path) -> None:
    first = import_samples(runtime, tmp_path)
    assert first["customers"]["inserted"] == 50 and first["debts"]["inserted"] == 60
    assert all(r["rejected"] == 0 for r in first.values()), first
    entries = count(runtime, ledger_entries)
    assert entries == first["ledger"]["inserted"] > 60
    assert count(runtime, contact_events) == first["contacts"]["inserted"]

    again = import_samples(runtime, tmp_path)

    for kind, report in again.items():
        assert report["inserted"] == report["updated"] == report["rejected"] == 0, kind
        assert report["unchanged"] == first[kind]["inserted"], kind
    assert count(runtime, ledger_entries) == entries
    assert count(runtime, customer_phones) == 50
    assert count(runtime, import_runs) == 8


def test_bad_rows_rejected_with_reasons_and_good_rows_land(runtime: Runtime, tmp_path: Path) -> None:
    bad = write(tmp_path / "customers.csv", CUSTOMERS + "C3,Bad Phone,12345,bad-email,,,,,ghost\n,No Id,,,,,,,\n")

    report = import_file(runtime, "customers", bad, now=NOW)

    assert (report.inserted, report.rejected) == (2, 2)
    assert report.rejects_path == tmp_path / "customers.rejects.csv"
    reasons = {(r["row"], r["field"]) for r in rejects(report.rejects_path)}
    assert {("4", "phone"), ("4", "email"), ("4", "flags"), ("5", "external_id")} <= reasons
    text = report.rejects_path.read_text(encoding="utf-8")
    assert "bad-email" not in text and "12345" not in text  # reasons never repeat personal values
    assert count(runtime, customers) == 2


def test_debt_and_ledger_references_are_checked(runtime: Runtime, tmp_path: Path) -> None:
    base_portfolio(runtime, tmp_path)
    head = "external_id,debt_external_id,kind,amount,currency,effective_date,reverses_external_id,component\n"
    ledger = write(tmp_path / "ledger.csv", head + """L1,D1,charge,1200.50,USD,2026-05-01,,
L2,D1,payment,100,USD,2026-06-10,,
L3,D1,reversal,100,USD,2026-06-12,L2,
L4,D1,adjustment,-5.00,USD,2026-06-12,,fees
L5,D9,charge,5,USD,2026-06-12,,
L6,D2,charge,5.001,USD,2026-06-12,,
L7,D2,charge,5,EUR,2026-06-12,,
L8,D1,reversal,100,USD,2026-06-13,L2,
L9,D1,reversal,1,USD,2026-06-13,L10,
L10,D1,payment,1,USD,2026-06-13,,
L11,D2,reversal,1200.50,USD,2026-06-13,L1,
L12,D2,charge,5,USD,2026-02-30,,
""")

    report = import_file(runtime, "ledger", ledger, now=NOW)

    assert report.inserted == 5 and report.rejected == 7
    found = {int(r["row"]): r["reason"] for r in rejects(ledger.with_name("ledger.rejects.csv"))}
    assert "unknown debt D9" in found[6]
    assert "more than 2 decimal places" in found[7]
    assert "differs from the debt's currency USD" in found[8]
    assert "reversed by an earlier row" in found[9]
    assert "later row" in found[10]
    assert "another debt" in found[12]
    assert "ISO date" in found[13]
    with runtime.engine.connect() as conn:
        rows = {r.external_id: r for r in conn.execute(select(ledger_entries))}
    assert rows["L3"].reverses_id == rows["L2"].id and rows["L4"].amount_minor == -500
    assert rows["L1"].amount_minor == 120050 and rows["L1"].posted_at == NOW


def test_ledger_entries_are_immutable_and_reversals_of_stored_entries(runtime: Runtime, tmp_path: Path) -> None:
    base_portfolio(runtime, tmp_path)
    head = "external_id,debt_external_id,kind,amount,currency,effective_date,reverses_external_id\n"
    import_file(runtime, "ledger", write(tmp_path / "a.csv", head + "P1,D1,payment,10,USD,2026-06-10,\n"), now=NOW)

    changed = import_file(runtime, "ledger", write(tmp_path / "b.csv", head + "P1,D1,payment,11,USD,2026-06-10,\n"
                                                   "R1,D1,reversal,10,USD,2026-06-11,P1\n"), now=NOW)
    twice = import_file(runtime, "ledger", write(tmp_path / "c.csv", head + "R2,D1,reversal,10,USD,2026-06-12,P1\n"),
                        now=NOW)

    assert (changed.inserted, changed.rejected) == (1, 1)
    assert changed.problems[0][2] == "ledger entries are immutable; post a reversal"
    assert twice.rejected == 1 and "already reversed" in twice.problems[0][2]


def test_contacts_attribute_debts(runtime: Runtime, tmp_path: Path) -> None:
    base_portfolio(runtime, tmp_path)
    events = write(tmp_path / "contacts.jsonl", "\n".join(json.dumps(e) for e in [
        {"external_id": "E1", "customer_external_id": "C1", "debt_external_ids": ["D1"], "type": "call_placed",
         "channel": "call", "at": "2026-06-02T10:00:00-05:00", "outcome": "no_answer", "right_party": False,
         "payload": {"dialing": "manual"}},
        {"external_id": "E2", "customer_external_id": "C2", "debt_external_ids": "D1", "type": "dispute",
         "at": "2026-06-02T10:00:00"},
        {"external_id": "E3", "customer_external_id": "C2", "type": "electronic_opt_out", "channel": "sms",
         "at": "2026-06-03T10:00:00Z"},
    ]) + "\n")

    report = import_file(runtime, "contacts", events, now=NOW)

    assert (report.inserted, report.rejected) == (2, 1)
    assert {p[1] for p in report.problems} == {"at", "debt_external_ids"}
    with runtime.engine.connect() as conn:
        rows = {r.external_id: r for r in conn.execute(select(contact_events))}
        d1 = conn.execute(select(debts.c.id).where(debts.c.external_id == "D1")).scalar_one()
    assert rows["E1"].debt_id == d1 and json.loads(rows["E1"].debt_ids) == [d1]
    assert rows["E1"].at == datetime(2026, 6, 2, 15, 0, tzinfo=UTC)
    assert rows["E3"].debt_id is None and rows["E3"].debt_ids == "[]"


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("c.csv", "external_id,full_name,shoe_size\nC1,Ada,9\n", "shoe_size"),
    ("c.csv", "external_id,phone\nC1,+13125550199\n", "full_name"),
    ("c.jsonl", '{"external_id": "C1", "full_name": "Ada"}\n[1, 2]\n', "line 2"),
    ("c.jsonl", '{"external_id": "C1", "full_name": "Ada"}\n{"external_id": \n', "line 2"),
])
def test_malformed_file_writes_nothing(runtime: Runtime, tmp_path: Path, name: str, content: str,
                                       needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        import_file(runtime, "customers", write(tmp_path / name, content), now=NOW)
    assert count(runtime, customers) == 0 and count(runtime, import_runs) == 0


def test_not_utf8_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("external_id,full_name\nC1,Zoë\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="not UTF-8"):
        import_file(runtime, "customers", path, now=NOW)
    assert count(runtime, customers) == 0


def test_failure_mid_write_rolls_back_everything(runtime: Runtime, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from cupx.adapters.repositories.imports import SqlImportRepository

    original = SqlImportRepository.insert

    def failing(self: ImportRepository, table: str, frame: object) -> int:
        if table == "customer_emails":
            raise RuntimeError("disk full")
        return original(self, table, frame)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlImportRepository, "insert", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(runtime, "customers", write(tmp_path / "c.csv", CUSTOMERS), now=NOW)
    assert count(runtime, customers) == count(runtime, customer_phones) == count(runtime, import_runs) == 0


def test_changed_customer_is_updated_and_keeps_phone_state(runtime: Runtime, tmp_path: Path) -> None:
    base_portfolio(runtime, tmp_path)
    with runtime.engine.begin() as conn:
        conn.execute(customer_phones.update().values(opted_out=True))
    edited = CUSTOMERS.replace("Ada Lovelace", "Ada King").replace("1 Main St", "2 Side St").replace(
        ",+14155550123,", ",+14155550124,")

    report = import_file(runtime, "customers", write(tmp_path / "c2.csv", edited), now=NOW)

    assert (report.inserted, report.updated, report.unchanged) == (0, 2, 0)
    cipher = runtime.cipher
    with runtime.engine.connect() as conn:
        names = {r.external_id: cipher.decrypt(r.name_enc) for r in conn.execute(select(customers))}
        phones = conn.execute(select(customer_phones)).all()
        lines = [cipher.decrypt(r.line1_enc) for r in conn.execute(select(customer_addresses))]
    assert names == {"C1": "Ada King", "C2": "Bob Stone"}
    assert lines == ["2 Side St"]
    assert sorted((cipher.decrypt(p.number_enc), p.opted_out) for p in phones) == [
        ("+13125550199", True), ("+14155550123", True), ("+14155550124", False)]


def test_jsonl_customers_with_nested_contact_points(runtime: Runtime, tmp_path: Path) -> None:
    line = {"external_id": "J1", "full_name": "Jo March", "flags": ["hardship"], "stated_time_zone": "America/Denver",
            "phones": [{"number": "+18505550100", "type": "mobile", "tcpa_consent": True},
                       {"number": "+13125550199", "type": "work"}],
            "emails": [{"address": "jo@example.com"}],
            "addresses": [{"line1": "9 Elm", "city": "Concord", "state": "ma", "postal_code": "01742"}]}

    report = import_file(runtime, "customers", write(tmp_path / "c.jsonl", json.dumps(line) + "\n"), now=NOW)

    assert report.inserted == 1 and report.ok
    with runtime.engine.connect() as conn:
        row = conn.execute(select(customers)).one()
        phones = conn.execute(select(customer_phones).order_by(customer_phones.c.area_code)).all()
        emails = conn.execute(select(customer_emails)).all()
    zones = row.tz_candidates.split(",")
    assert {"America/Chicago", "America/New_York", "America/Denver"} <= set(zones) and zones == sorted(zones)
    assert tuple(zones) == candidate_zones(postal_codes=["01742"], phone_numbers=["+18505550100", "+13125550199"],
                                           stated=["America/Denver"])
    assert row.flags == "hardship" and row.stated_tz == "America/Denver"
    assert [(p.area_code, p.type, p.tcpa_consent) for p in phones] == [("312", "work", False),
                                                                        ("850", "mobile", True)]
    assert emails[0].address_hash == runtime.cipher.lookup_hash("jo@example.com")


def test_cli_import_exit_codes(runtime: Runtime, tmp_path: Path) -> None:
    from cupx.entrypoints.cli import app

    url = runtime.settings.database_url
    cli = CliRunner()
    good = cli.invoke(app, ["import", "customers", str(write(tmp_path / "c.csv", CUSTOMERS)), "--database-url", url])
    bad = cli.invoke(app, ["import", "customers", str(write(tmp_path / "b.csv", CUSTOMERS + "C3,,,,,,,,\n")),
                           "--database-url", url, "--json"])
    refused = cli.invoke(app, ["import", "debts", str(write(tmp_path / "m.csv", "external_id\nD1\n")),
                               "--database-url", url])

    assert good.exit_code == 0 and "2 inserted" in good.output
    assert bad.exit_code == 1 and json.loads(bad.stdout.splitlines()[-1])["rejected"] == 1
    assert refused.exit_code == 2 and "customer_external_id" in refused.output


def test_header_only_file_imports_nothing(runtime: Runtime, tmp_path: Path) -> None:
    report = import_file(runtime, "ledger", write(tmp_path / "l.csv", "external_id,debt_external_id,kind,amount,"
                                                  "currency,effective_date\n"), now=NOW)
    assert (report.rows_total, report.inserted, report.rejected) == (0, 0, 0)
    assert count(runtime, import_runs) == 1
    with pytest.raises(ValidationError, match="empty"):
        import_file(runtime, "ledger", write(tmp_path / "e.csv", ""), now=NOW)


def test_cli_init_creates_the_schema(tmp_path: Path) -> None:
    from cupx.entrypoints.cli import app

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    first = CliRunner().invoke(app, ["init", "--database-url", url])
    again = CliRunner().invoke(app, ["init", "--database-url", url])
    assert first.exit_code == again.exit_code == 0 and "database ready" in first.output
    sample = tmp_path / "customers.csv"
    sample.write_bytes((SAMPLES / "customers.csv").read_bytes())
    imported = CliRunner().invoke(app, ["import", "customers", str(sample), "--database-url", url, "--json"])
    assert imported.exit_code == 0 and json.loads(imported.stdout.splitlines()[-1])["inserted"] == 50


def test_lookups_by_table_scan_give_the_same_answers(runtime: Runtime, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import cupx.adapters.repositories.imports as repo_module

    monkeypatch.setattr(repo_module, "_SCAN_ABOVE", 1)  # every look-up of 2+ keys scans
    first = import_samples(runtime, tmp_path)
    again = import_samples(runtime, tmp_path)
    assert first["ledger"]["inserted"] == again["ledger"]["unchanged"] > 100
    assert all(r["inserted"] == r["rejected"] == 0 for r in again.values())


def test_customer_whose_zones_cannot_be_stored_is_rejected_not_truncated(runtime: Runtime, tmp_path: Path) -> None:
    numbers = ["+18085550100", "+19075550100", "+12065550100", "+13035550100", "+13125550100", "+12125550100",
               "+16025550100", "+17875550100", "+16715550100", "+442079460958", "+61255550100", "+61855550100",
               "+81312345678"]
    lines = [{"external_id": "W1", "full_name": "Wanda Far", "phones": [{"number": n} for n in numbers]},
             {"external_id": "W2", "full_name": "Nora Near", "phones": [{"number": numbers[0]}]}]
    path = write(tmp_path / "c.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")

    report = import_file(runtime, "customers", path, now=NOW)

    assert (report.inserted, report.rejected) == (1, 1)
    assert report.problems[0][:2] == (1, "tz_candidates")


PARIS = {"line1": "1 Rue", "city": "Paris", "country": "FR", "postal_code": "75001"}


def test_values_too_long_for_their_columns_are_rejected_on_both_databases(runtime: Runtime, tmp_path: Path) -> None:
    lines = [{"external_id": "P1", "full_name": "Pat", "phones": [{"number": "+13125550199", "provenance": "x" * 41}]},
             {"external_id": "P2", "full_name": "Pam", "emails": [{"address": "p@example.com", "provenance": "Bad!"}]},
             {"external_id": "P3", "full_name": "Pia", "addresses": [dict(PARIS, state="Ile-de-France")]},
             {"external_id": "P4", "full_name": "Pod", "addresses": [PARIS]}]
    path = write(tmp_path / "c.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")

    report = import_file(runtime, "customers", path, now=NOW)

    assert (report.inserted, report.rejected) == (1, 3)
    assert [p[1] for p in report.problems] == ["phones[0].provenance", "emails[0].provenance", "addresses[0].state"]
