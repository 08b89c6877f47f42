"""Tenant house rules in the columnar guard (profiles.HouseRules; single form: rules/house.py):
quiet weekdays, a narrower daily window, and per-channel caps per local day and rolling 7 local days,
in every candidate zone (C-1). Pure; Polars expressions only."""

from __future__ import annotations

import polars as pl

from cupx.compliance.batch_parts import empty_codes, local_day_bounds
from cupx.compliance.profiles import HouseRules

__all__ = ["HOUSE_EVENT_TYPES", "house_codes"]

_DAY = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_SENT = {"text": "text_sent", "email": "email_sent", "call": "call_placed"}
HOUSE_EVENT_TYPES = tuple(_SENT.values())
_TIMED = ["call", "text", "email"]


def _caps(h: HouseRules) -> dict[str, tuple[int | None, int | None]]:
    caps = {"text": (h.max_texts_per_day, h.max_texts_per_week), "email": (h.max_emails_per_day,
                                                                          h.max_emails_per_week),
            "call": (None, h.max_calls_per_week)}
    return {k: v for k, v in caps.items() if v != (None, None)}


def house_codes(zoned: pl.DataFrame, evs: pl.DataFrame, h: HouseRules) -> pl.DataFrame:
    """HOUSE_QUIET_DAY, HOUSE_CONTACT_WINDOW and HOUSE_CHANNEL_CAP rows (_ord, code)."""
    timed = zoned.filter(pl.col("channel").is_in(_TIMED))
    frames = [empty_codes()]
    if h.quiet_weekdays:
        quiet = [_DAY[d] for d in h.quiet_weekdays if d in _DAY]
        frames.append(timed.filter(pl.col("ldate").dt.weekday().is_in(quiet)).select(
            "_ord", pl.lit("HOUSE_QUIET_DAY").alias("code")))
    if h.window_start or h.window_end:
        outside = pl.lit(False)
        if h.window_start:
            outside = outside | (pl.col("ltime") < h.window_start)
        if h.window_end:
            outside = outside | (pl.col("ltime") > h.window_end)
        frames.append(timed.filter(outside).select("_ord", pl.lit("HOUSE_CONTACT_WINDOW").alias("code")))
    caps = _caps(h)
    if caps:
        frames.append(_cap_codes(timed.filter(pl.col("channel").is_in(list(caps))), evs, caps))
    return pl.concat(frames)


def _cap_codes(timed: pl.DataFrame, evs: pl.DataFrame, caps: dict[str, tuple[int | None, int | None]]) -> pl.DataFrame:
    if timed.height == 0:
        return empty_codes()
    bounded = local_day_bounds(timed)
    sent = evs.select("_ord", "type", pl.col("at").alias("e_at"))
    j = bounded.with_columns(pl.col("channel").replace_strict(_SENT).alias("type")).join(sent, on=["_ord", "type"])
    counts = j.group_by(["_ord", "zone", "channel"]).agg(
        ((pl.col("e_at") >= pl.col("d_start")) & (pl.col("e_at") < pl.col("w_end"))).sum().alias("day"),
        ((pl.col("e_at") >= pl.col("w_start")) & (pl.col("e_at") < pl.col("w_end"))).sum().alias("week"))
    over = pl.lit(False)
    for channel, (per_day, per_week) in caps.items():
        mine = pl.col("channel") == channel
        if per_day is not None:
            over = over | (mine & (pl.col("day") + 1 > per_day))
        if per_week is not None:
            over = over | (mine & (pl.col("week") + 1 > per_week))
    return counts.filter(over).select("_ord", pl.lit("HOUSE_CHANNEL_CAP").alias("code"))
