"""Send windows across candidate zones."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

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
