"""Case files and grading (the contract of `cupx compliance check`, shared/compliance/examples.yaml).

A case file holds one case (`context`, `events`, `action`) or `{cases: [...]}` (YAML anchors allowed).
Grading rules (end of examples.yaml): `decision` exact (`n/a` for computations); every code in
`reason_codes` present (no extras when `exclusive: true`); `reason_codes_any_of` needs one;
`absent_reason_codes` none; `computed` values exact (lists as sets); `advisory_flags` and
`override_permitted` exact when given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from cupx.compliance.decision import Decision
from cupx.domain.errors import ValidationError

__all__ = ["grade", "load_cases"]


def load_cases(text: str) -> list[Any]:
    """Parse YAML/JSON text into a list of raw cases; malformed text raises ValidationError."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"malformed YAML/JSON: {exc}", field="file") from None
    if isinstance(data, Mapping) and "cases" in data:
        cases = data["cases"]
        if not isinstance(cases, list):
            raise ValidationError("`cases` must be a list", field="cases")
        return cases
    if isinstance(data, Mapping):
        return [data]
    raise ValidationError("expected a case or {cases: [...]}", field="file")


def _norm(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return sorted((_norm(v) for v in value), key=str)
    if isinstance(value, Mapping):
        return {str(k): _norm(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def grade(expected: Mapping[str, Any], decision: Decision) -> list[str]:
    """Problems (empty when the decision satisfies `expected`)."""
    out = decision.to_dict()
    problems: list[str] = []
    if "decision" in expected and out["decision"] != expected["decision"]:
        problems.append(f"decision {out['decision']!r} != {expected['decision']!r}")
    codes = set(out["reason_codes"])
    want = set(expected.get("reason_codes") or [])
    if want - codes:
        problems.append(f"missing reason codes {sorted(want - codes)}")
    if expected.get("exclusive") and codes - want:
        problems.append(f"unexpected reason codes {sorted(codes - want)}")
    any_of = set(expected.get("reason_codes_any_of") or [])
    if any_of and not any_of & codes:
        problems.append(f"none of {sorted(any_of)} present")
    absent = set(expected.get("absent_reason_codes") or []) & codes
    if absent:
        problems.append(f"forbidden reason codes present {sorted(absent)}")
    for key, value in (expected.get("computed") or {}).items():
        if _norm(out["computed"].get(key)) != _norm(value):
            problems.append(f"computed.{key} {out['computed'].get(key)!r} != {value!r}")
    if "advisory_flags" in expected and set(out["advisory_flags"]) != set(expected["advisory_flags"] or []):
        problems.append(f"advisory_flags {out['advisory_flags']} != {expected['advisory_flags']}")
    if "override_permitted" in expected and out["override_permitted"] != expected["override_permitted"]:
        problems.append(f"override_permitted {out['override_permitted']} != {expected['override_permitted']}")
    return problems
