"""Every case file under tests/compliance_cases/ (including a copy of shared/compliance/examples.yaml)
graded by the same grader as `cupx compliance check --expected`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cupx.compliance import evaluate
from cupx.compliance.grading import grade, load_cases

CASES_DIR = Path(__file__).resolve().parents[2] / "compliance_cases"


def _all_cases() -> list[Any]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in load_cases(path.read_text("utf-8")):
            out.append(pytest.param(case, id=f"{path.stem}:{case.get('id')}"))
    return out


@pytest.mark.parametrize("case", _all_cases())
def test_case(case: dict[str, Any]) -> None:
    decision = evaluate(case.get("context") or {}, case.get("events") or [], case["action"])
    assert grade(case["expected"], decision) == [], decision.to_dict()
