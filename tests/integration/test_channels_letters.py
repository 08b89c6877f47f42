"""Letters: a validation notice goes out as a PDF in the day's print batch, with a manifest, a
letter_sent event and the validation_notice event that starts the R-12 clocks (real guard)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from sqlalchemy import select
from test_dispatch_factories import dispatcher, enqueue, make_customer, make_debt, outbox

from cupx.adapters.channels.letters import PdfLetterSender, build_print_batch
from cupx.adapters.tables.core import contact_events
from cupx.bootstrap import Runtime
from cupx.services.dispatch_guard import ComplianceGuard
from cupx.services.dispatch_ports import OutgoingMessage


def test_validation_notice_letter_lands_in_the_print_batch(runtime: Runtime, tmp_path: Path) -> None:
    cid = make_customer(runtime, email=False, phone=False)
    did = make_debt(runtime, cid, 50_000)
    oid = enqueue(runtime, cid, [did], "letter", template_id="validation_notice")
    letters = tmp_path / "letters"
    report = dispatcher(runtime, {"letter": PdfLetterSender(letters)}, guard=ComplianceGuard()).run()
    assert report.sent == 1
    row = outbox(runtime, oid)
    day_dir = letters / "2026-06-02"
    pdf = day_dir / row.provider_id.split("/", 1)[1]
    assert pdf.read_bytes().startswith(b"%PDF-")
    summary = build_print_batch(letters, date(2026, 6, 2))
    assert summary["letters"] == 1 and summary["pages"] >= 1
    with (day_dir / "manifest.csv").open() as fh:
        [entry] = list(csv.DictReader(fh))
    assert entry["file"] == pdf.name and int(entry["outbox_id"]) == oid and len(entry["sha256"]) == 64
    with runtime.engine.connect() as conn:
        events = {r.type: json.loads(r.payload) for r in conn.execute(select(contact_events))}
    assert set(events) == {"letter_sent", "validation_notice"}
    v = events["validation_notice"]
    assert v["provided_on"] == "2026-06-02" and v["stated_end_date"] == "2026-07-09"  # 5 business days + 30


def test_a_letter_sent_again_with_the_same_key_adds_nothing(tmp_path: Path) -> None:
    sender = PdfLetterSender(tmp_path)
    m = OutgoingMessage("tenant:cycle:2026-06-02:9:letter", "letter", to="Pat\n1 Main St\nNew York, NY 10001",
                        body="Dear Pat,\n" + "A long line of text. " * 200, meta={"batch_date": "2026-06-02"})
    first, second = sender.send(m), sender.send(m)
    assert first == second
    lines = (tmp_path / "2026-06-02" / "manifest.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["pages"] >= 2
