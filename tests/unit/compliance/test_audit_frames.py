"""The columnar §7.6 bodies equal, text for text, what `build_record` + `canonical` give one record at a
time, for arbitrary text (quotes, backslashes, control characters, non-ASCII) and empty or null lists; so
a record appended from a frame verifies like any other."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.compliance.audit import build_record, canonical
from cupx.compliance.audit_frames import BATCH_COMPUTED, batch_record_frame
from cupx.compliance.decision import Decision

_text = st.text(min_size=0, max_size=12)
_answer = st.fixed_dictionaries({
    "decision_id": _text, "customer_id": st.one_of(st.none(), st.integers(-(2**62), 2**62)),
    "action_type": _text, "debt_ids": st.one_of(st.none(), st.lists(_text, max_size=4)),
    "outcome": st.sampled_from(["allowed", "blocked"]),
    "reason_codes": st.one_of(st.none(), st.lists(_text, max_size=3)),
    "action_at": st.one_of(st.none(), _text)})
_at = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1),
                   timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))]))

SCHEMA = {"decision_id": pl.String, "customer_id": pl.Int64, "action_type": pl.String,
          "debt_ids": pl.List(pl.String), "outcome": pl.String, "reason_codes": pl.List(pl.String),
          "action_at": pl.String}


def _one_at_a_time(row: dict, at: datetime) -> dict:  # type: ignore[type-arg]
    decision = Decision(row["outcome"], tuple(row["reason_codes"] or ()), (), dict(BATCH_COMPUTED))
    action = {"type": row["action_type"], "debt_ids": list(row["debt_ids"] or ()), "at": row["action_at"]}
    return build_record(row["decision_id"], at, action, decision, (), customer_id=row["customer_id"])


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(_answer, min_size=1, max_size=8), at=_at)
def test_frame_bodies_equal_single_records(rows: list[dict], at: datetime) -> None:  # type: ignore[type-arg]
    out = batch_record_frame(pl.DataFrame(rows, schema=SCHEMA), at)
    for row, got in zip(rows, out.iter_rows(named=True), strict=True):
        body = _one_at_a_time(row, at)
        assert got["body"] == canonical(body)
        assert canonical(json.loads(got["body"])) == got["body"]  # what verify_rows recomputes
        assert got["debt_ids"] == ",".join(body["debt_ids"])
        assert got["reason_codes"] == ",".join(body["reason_codes"])
        assert got["retain_until"] == date.fromisoformat(body["retain_until"])
        assert got["at"] == at.astimezone(UTC) and got["customer_id"] == row["customer_id"]


def test_naive_instant_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        batch_record_frame(pl.DataFrame(schema=SCHEMA), datetime(2026, 1, 1))
