"""Send windows across candidate zones, and the interim guard's answers (C3 frames in, C3 frames out)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from cupx.cycle.interim_guard import interim_evaluate_batch
from cupx.cycle.schedule import window_frame

DAY = date(2026, 11, 30)


def test_window_is_common_to_every_candidate_zone_or_empty() -> None:
    w = window_frame(pl.Series(["", "America/New_York,America/Los_Angeles", "Pacific/Kiritimati,Pacific/Pago_Pago"]),
                     DAY).sort("tz_candidates")
    rows = {r["tz_candidates"]: r for r in w.to_dicts()}
    assert rows[""]["window_start"] == datetime(2026, 11, 30, 13, tzinfo=UTC)  # default zone: New York
    both = rows["America/New_York,America/Los_Angeles"]
    assert both["window_start"] == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert both["window_end"] == datetime(2026, 12, 1, 2, tzinfo=UTC)
    assert rows["Pacific/Kiritimati,Pacific/Pago_Pago"]["window_start"] is None  # 25 hours apart: no window


def test_interim_guard_blocks_cease_and_electronic_opt_out() -> None:
    at = datetime(2026, 11, 30, 15, tzinfo=UTC)
    actions = pl.DataFrame({"action_id": [0, 1, 2], "customer_id": [1, 2, 3], "channel": ["text", "text", "call"],
                            "at": [at, at, at]})
    events = pl.DataFrame({"customer_id": [1, 2, 3], "type": ["cease_notice", "electronic_opt_out", "text_sent"],
                           "at": [datetime(2026, 11, 1, tzinfo=UTC)] * 3})
    out = interim_evaluate_batch(pl.DataFrame({"customer_id": [1, 2, 3]}), events, actions).sort("action_id")
    assert out["decision"].to_list() == ["blocked", "blocked", "allowed"]
    assert out["reason_codes"].to_list() == [["REGF_CEASE_COMMUNICATION"], ["REGF_PROHIBITED_MEDIUM"], []]
