"""Properties of the single guard: events after the action never count (C-8); codes are sorted and
unique; a blocked decision always cites every code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cupx.compliance import evaluate
from cupx.compliance.codes import CITATIONS, Code

CTX = {"collector_role": "fdcpa_debt_collector",
       "consumer": {"id": "C1", "location_evidence": [{"kind": "postal_address", "value": "60606",
                                                        "tz": "America/Chicago"}]},
       "phones": [{"number": "+13125550199", "type": "mobile"}], "debts": [{"id": "D1"}, {"id": "D2"}]}
AT = datetime(2026, 9, 14, 15, 0, tzinfo=UTC)
TYPES = ["call_placed", "telephone_conversation", "cease_notice", "dispute", "attorney_known", "medium_restriction",
         "electronic_opt_out", "tcpa_revocation", "inconvenient_time"]

event_st = st.builds(
    lambda t, minutes, debt: {"type": t, "at": (AT + timedelta(minutes=minutes)).isoformat(), "person": "C1",
                              "number": "+13125550199", "debt_ids": [debt], "medium": "telephone_call",
                              "windows": [{"start": "00:00", "end": "23:59"}], "outcome": "no_answer"},
    st.sampled_from(TYPES), st.integers(-10 * 24 * 60, 10 * 24 * 60), st.sampled_from(["D1", "D2"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(past=st.lists(event_st, max_size=10), future=st.lists(event_st, max_size=5),
       channel=st.sampled_from(["call", "text", "letter"]))
def test_future_events_are_ignored(past: list[dict[str, Any]], future: list[dict[str, Any]], channel: str) -> None:
    past = [e for e in past if e["at"] <= AT.isoformat()]
    future = [dict(e, at=(AT + timedelta(seconds=1 + i)).isoformat()) for i, e in enumerate(future)]
    action: dict[str, Any] = {"type": channel, "at": AT.isoformat(), "person": "C1", "number": "+13125550199",
                              "debt_ids": ["D1"], "dialing": "atds"}
    if channel == "letter":
        action = {"type": "letter", "at": AT.isoformat(), "mail_on": "2026-09-14", "debt_ids": ["D1"]}
    base = evaluate(CTX, past, action)
    assert evaluate(CTX, past + future, action).to_dict() == base.to_dict()
    assert list(base.reason_codes) == sorted(set(base.reason_codes))
    assert all(CITATIONS[Code(c)] in base.citations for c in base.reason_codes)
    assert (base.decision == "blocked") == bool(base.reason_codes)
