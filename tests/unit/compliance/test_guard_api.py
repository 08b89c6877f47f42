"""Public API of the guard: next_allowed_time, overrides (C-7), input validation, exports."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import cupx.compliance as compliance
from cupx.compliance import Decision, evaluate, next_allowed_time
from cupx.compliance.overrides import apply_override
from cupx.domain.errors import PermissionDenied, PolicyViolation, ValidationError

CTX = {"collector_role": "fdcpa_debt_collector",
       "consumer": {"id": "C1", "location_evidence": [{"kind": "postal_address", "value": "10001"},
                                                        {"kind": "phone_area_code", "value": "+14155550100"}]},
       "phones": [{"number": "+14155550100", "type": "mobile"}], "debts": [{"id": "D1"}]}
CONVERSATION = {"type": "telephone_conversation", "at": "2026-10-05T14:00:00-04:00", "person": "C1",
                "debt_ids": ["D1"]}


def test_exports() -> None:
    assert set(compliance.__all__) == {"Decision", "evaluate", "next_allowed_time"}


def test_next_allowed_time_waits_for_every_zone() -> None:
    # 07:00 Eastern; the Pacific zone opens at 08:00 PDT = 11:00 EDT = 15:00Z.
    after = datetime(2026, 5, 12, 11, 0, tzinfo=UTC)
    assert next_allowed_time(CTX, [], "call", after) == datetime(2026, 5, 12, 15, 0, tzinfo=UTC)


def test_next_allowed_time_now_when_allowed() -> None:
    after = datetime(2026, 5, 12, 18, 0, tzinfo=UTC)
    assert next_allowed_time(CTX, [], "call", after) == after


def test_next_allowed_time_after_conversation_bar() -> None:
    after = datetime(2026, 10, 6, 18, 0, tzinfo=UTC)
    nxt = next_allowed_time(CTX, [CONVERSATION], "call", after)
    assert nxt is not None and nxt.astimezone(UTC) == datetime(2026, 10, 12, 15, 0, tzinfo=UTC)


def test_next_allowed_time_none_under_cease() -> None:
    cease = {"type": "cease_notice", "at": "2026-10-01T10:00:00-04:00", "medium": "mail"}
    assert next_allowed_time(CTX, [cease], "email", datetime(2026, 10, 6, 18, tzinfo=UTC)) is None


def test_next_allowed_time_rejects_naive() -> None:
    with pytest.raises(ValueError):
        next_allowed_time(CTX, [], "call", datetime(2026, 10, 6, 18))


def _presumption_block() -> Decision:
    action = {"type": "call", "at": "2026-10-06T12:00:00-04:00", "person": "C1", "number": "+14155550100",
              "debt_ids": ["D1"]}
    return evaluate(CTX, [CONVERSATION], action)


def test_override_by_compliance_with_rebuttal_reason() -> None:
    decision = _presumption_block()
    assert decision.override_permitted
    out = apply_override(decision, "compliance", "consumer_request", "alice")
    assert out.decision == "allowed" and out.computed["override"]["reason"] == "consumer_request"


@pytest.mark.parametrize(("role", "reason", "error"), [
    ("agent", "consumer_request", PermissionDenied),
    ("supervisor", "because", ValidationError),
])
def test_override_refused(role: str, reason: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        apply_override(_presumption_block(), role, reason, "bob")


def test_override_refused_for_non_presumption_block() -> None:
    action = {"type": "call", "at": "2026-10-06T06:00:00-04:00", "person": "C1", "number": "+14155550100",
              "debt_ids": ["D1"]}
    with pytest.raises(PolicyViolation):
        apply_override(evaluate(CTX, [], action), "supervisor", "required_by_law", "bob")


@pytest.mark.parametrize(("events", "action", "field"), [
    ([{"type": "nope", "at": "2026-10-06T12:00:00Z"}], {"type": "call", "at": "2026-10-06T12:00:00Z"},
     "events[0].type"),
    ([{"type": "call_placed", "at": "2026-10-06T12:00:00"}], {"type": "call", "at": "2026-10-06T12:00:00Z"},
     "events[0].at"),
    ([], {"type": "call", "at": "2026-10-06T12:00:00Z", "debt_ids": ["X"]}, "action.debt_ids[0]"),
    ([], {"type": "fax", "at": "2026-10-06T12:00:00Z"}, "action.type"),
])
def test_bad_input_names_field(events: list[dict[str, object]], action: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        evaluate(CTX, events, action)
    assert info.value.field == field


def test_every_applicable_code_is_returned() -> None:
    events = [CONVERSATION, {"type": "cease_notice", "at": "2026-10-05T15:00:00-04:00", "medium": "mail"}]
    action = {"type": "call", "at": "2026-10-06T06:00:00-04:00", "person": "C1", "number": "+14155550100",
              "debt_ids": ["D1"]}
    decision = evaluate(CTX, events, action)
    assert {"REGF_CALL_AFTER_CONVERSATION", "REGF_CEASE_COMMUNICATION", "REGF_INCONVENIENT_TIME"} <= set(
        decision.reason_codes)
    assert not decision.override_permitted and len(decision.citations) >= 3


def test_next_allowed_time_after_designated_inconvenient_hours() -> None:
    busy = {"type": "inconvenient_time", "at": "2026-05-01T10:00:00-04:00",
            "windows": [{"days": ["tue"], "start": "08:00", "end": "17:30"}]}
    ctx = {"consumer": {"id": "C1", "location_evidence": [{"kind": "postal_address", "value": "10001",
                                                            "tz": "America/New_York"}]}, "debts": [{"id": "D1"}]}
    after = datetime(2026, 5, 12, 13, 0, tzinfo=UTC)  # Tue 09:00 EDT, busy until 17:30
    assert next_allowed_time(ctx, [busy], "call", after) == datetime(2026, 5, 12, 21, 30, tzinfo=UTC)
