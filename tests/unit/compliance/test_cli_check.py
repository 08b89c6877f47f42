"""`cupx compliance check FILE [--expected]` contract (issue 3)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cupx.entrypoints.cli import app

CTX = ("context: {collector_role: fdcpa_debt_collector, consumer: {id: C1, location_evidence: "
       "[{kind: postal_address, value: '60606', tz: America/Chicago}]}, debts: [{id: D1}]}\n")
CASE = CTX + "events: []\naction: {type: call, at: '2026-05-12T07:00:00-05:00', person: C1, debt_ids: [D1]}\n"


def _run(tmp_path: Path, text: str, *args: str) -> tuple[int, list[str], str]:
    path = tmp_path / "cases.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["compliance", "check", str(path), *args])
    return result.exit_code, result.stdout.strip().splitlines(), result.stderr


def test_single_case_prints_one_json_line(tmp_path: Path) -> None:
    code, lines, _ = _run(tmp_path, CASE)
    assert code == 0 and len(lines) == 1
    out = json.loads(lines[0])
    assert out["decision"] == "blocked" and out["reason_codes"] == ["REGF_INCONVENIENT_TIME"]
    assert set(out) == {"decision", "reason_codes", "advisory_flags", "computed", "citations", "override_permitted"}


def test_expected_pass_and_fail_summary(tmp_path: Path) -> None:
    indented = "\n".join("    " + line for line in CASE.splitlines())
    text = ("cases:\n  - id: A\n" + indented + "\n    expected: {decision: blocked}\n"
            "  - id: B\n" + indented + "\n    expected: {decision: allowed}\n")
    code, lines, err = _run(tmp_path, text, "--expected")
    assert lines[-1] == "1 passed, 1 failed" and code == 1
    assert [json.loads(line)["id"] for line in lines[:2]] == ["A", "B"]
    assert "FAIL case 'B'" in err and "decision 'blocked' != 'allowed'" in err


def test_shared_examples_pass() -> None:
    shared = Path("/work/shared/compliance/examples.yaml")
    copy = Path(__file__).resolve().parents[2] / "compliance_cases" / "shared_examples.yaml"
    path = shared if shared.exists() else copy
    result = CliRunner().invoke(app, ["compliance", "check", "--expected", str(path)])
    assert result.exit_code == 0 and result.stdout.strip().endswith("5 passed, 0 failed")


def test_bad_case_names_case_and_field_and_others_still_run(tmp_path: Path) -> None:
    indented = "\n".join("    " + line for line in CASE.splitlines())
    bad = ("  - id: BAD\n" + "\n".join("    " + line for line in (CTX + "events: [{type: teleport, at: "
                                                                 "'2026-05-12T07:00:00Z'}]\naction: {type: call, at: "
                                                                 "'2026-05-12T10:00:00-05:00'}").splitlines()) + "\n")
    naive = ("  - id: NAIVE\n" + "\n".join("    " + line for line in (CTX + "events: []\naction: {type: call, at: "
                                                                      "'2026-05-12T10:00:00'}").splitlines()) + "\n")
    unknown_debt = ("  - id: DEBT\n" + "\n".join("    " + line for line in (CTX + "events: []\naction: {type: call, "
                                                                             "at: '2026-05-12T10:00:00Z', debt_ids: "
                                                                             "[D404]}").splitlines()) + "\n")
    text = "cases:\n" + bad + naive + unknown_debt + "  - id: GOOD\n" + indented + "\n"
    code, lines, err = _run(tmp_path, text)
    assert code == 2
    assert [json.loads(line)["id"] for line in lines] == ["GOOD"]
    assert "case 'BAD'" in err and "events[0].type" in err
    assert "case 'NAIVE'" in err and "action.at" in err
    assert "case 'DEBT'" in err and "action.debt_ids[0]" in err


def test_malformed_yaml_exit_2(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path, "cases: [\n  - {id: x\n")
    assert code == 2 and "malformed" in err
