"""The earliest allowed local time on the run date, per set of candidate time zones.

A contact may be made between 08:00 and 21:00 local time in EVERY zone the customer may be in (RULES.md
R-02, C-1/C-2). For the run date the window opens at the latest 08:00 among the zones and closes at the
earliest 21:00; when it is empty (zones too far apart) there is no allowed time that day. Customers
share few zone sets, so this is computed once per distinct set (zoneinfo) and joined back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import polars as pl

__all__ = ["DEFAULT_ZONE", "OPEN", "CLOSE", "window_frame"]

DEFAULT_ZONE = "America/New_York"
OPEN, CLOSE = time(8, 0), time(21, 0)


def _window(zones: str | None, as_of: date) -> tuple[datetime | None, datetime | None]:
    names = [z for z in (zones or "").split(",") if z] or [DEFAULT_ZONE]
    starts, ends = [], []
    for name in names:
        tz = ZoneInfo(name)
        starts.append(datetime.combine(as_of, OPEN, tzinfo=tz).astimezone(UTC))
        ends.append(datetime.combine(as_of, CLOSE, tzinfo=tz).astimezone(UTC))
    start, end = max(starts), min(ends)
    return (start, end) if start <= end else (None, None)


def window_frame(tz_candidates: pl.Series, as_of: date) -> pl.DataFrame:
    """tz_candidates -> window_start, window_end (UTC; null when no common window that day)."""
    distinct = tz_candidates.unique().to_list()
    windows = [_window(z, as_of) for z in distinct]
    return pl.DataFrame(
        {"tz_candidates": distinct, "window_start": [w[0] for w in windows], "window_end": [w[1] for w in windows]},
        schema={"tz_candidates": pl.String, "window_start": pl.Datetime("us", "UTC"),
                "window_end": pl.Datetime("us", "UTC")})
