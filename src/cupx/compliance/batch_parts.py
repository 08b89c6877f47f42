"""Building blocks of the columnar guard (batch.py): input normalisation, the knowledge cut-off
(C-8), per-debt and per-zone expansion, the time window (R-02, C-2) and call frequency (R-01, C-1).

Invariants: every frame carries `_ord` (the action's position); local dates/times are computed per
zone partition with Polars' tz conversion (DST-correct), never with fixed offsets; no per-row Python.
"""

from __future__ import annotations

from datetime import time

import polars as pl

from cupx.compliance.rules.common import MEDIUM_ALIASES

__all__ = [
    "DEBT_RULE_TYPES", "DEFAULT_ZONE", "FREQUENCY_TYPES", "MEDIUM_TYPES", "TCPA_TYPES", "action_debts", "action_zones",
    "empty_codes", "event_frame", "frequency_codes", "known_events", "local_day_bounds", "time_codes",
]

DEFAULT_ZONE = "America/New_York"
_UTC = pl.Datetime("us", "UTC")
_EVENT_COLUMNS: dict[str, pl.DataType] = {
    "debt_id": pl.Int64(), "outcome": pl.Utf8(), "medium": pl.Utf8(), "target": pl.Utf8(),
    "written": pl.Boolean(), "submitted_at": _UTC, "provided_on": pl.Date(), "stated_end_date": pl.Date(),
    "initiated_by": pl.Utf8(), "limited_to_date": pl.Date(), "undeliverable": pl.Boolean(),
}
_EMPTY_CODES = {"_ord": pl.UInt32, "code": pl.Utf8}


def empty_codes() -> pl.DataFrame:
    return pl.DataFrame(schema=_EMPTY_CODES)


def event_frame(events: pl.DataFrame) -> pl.DataFrame:
    """Events with every optional column present (all-null when missing) and UTC instants."""
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in _EVENT_COLUMNS.items() if c not in events.columns]
    out = events.with_columns(missing) if missing else events
    return out.with_columns(pl.col("at").dt.convert_time_zone("UTC"),
                            pl.col("medium").cast(pl.Utf8).str.to_lowercase().replace(MEDIUM_ALIASES),
                            pl.col("submitted_at").cast(_UTC, strict=False),
                            pl.col("debt_id").cast(pl.Int64))


FREQUENCY_TYPES = ("call_placed", "telephone_conversation", "call_consent", "call_consent_revoked",
                   "wrong_number_learned")
DEBT_RULE_TYPES = ("cease_notice", "dispute", "verification_sent", "duplicative_dispute_notice", "validation_notice",
                   "original_creditor_request", "original_creditor_info_sent", "attorney_known",
                   "attorney_failed_to_respond", "attorney_consent")
MEDIUM_TYPES = ("medium_restriction", "cease_notice", "tcpa_revocation", "electronic_opt_out")
TCPA_TYPES = ("tcpa_consent", "tcpa_revocation")


def known_events(evs: pl.DataFrame, acts: pl.DataFrame, types: tuple[str, ...], mask: pl.Expr,
                 horizon_days: int | None = None) -> pl.DataFrame:
    """Events of `types` known at the instant of each action selected by `mask` (C-8): one row per
    (action, event). Filtering both sides before the join keeps the join small; with `horizon_days`,
    events older than that before the earliest action are dropped first (long histories)."""
    a = acts.filter(mask).select("_ord", "customer_id", pl.col("at").alias("a_at"))
    keep = pl.col("type").is_in(types)
    if horizon_days is not None and a.height:
        earliest = a["a_at"].min()
        if earliest is not None:
            # a number learned to be wrong stays wrong, however long ago that was
            keep = keep & ((pl.col("at") >= pl.lit(earliest) - pl.duration(days=horizon_days))
                           | (pl.col("type") == "wrong_number_learned"))
    rel = evs.filter(keep).select("customer_id", "type", "at", *_EVENT_COLUMNS)
    return a.join(rel, on="customer_id", how="inner").filter(pl.col("at") <= pl.col("a_at")).drop("customer_id")


def action_debts(acts: pl.DataFrame) -> pl.DataFrame:
    return acts.select("_ord", "regf", "channel", "at", pl.col("debt_ids").alias("debt")).explode("debt").with_columns(
        pl.col("debt").cast(pl.Int64))


def _localise(part: pl.DataFrame, zone_name: str, col: str, prefix: str) -> pl.DataFrame:
    local = pl.col(col).dt.convert_time_zone(zone_name)
    return part.with_columns(local.dt.date().alias(f"{prefix}date"), local.dt.time().alias(f"{prefix}time"))


def action_zones(acts: pl.DataFrame) -> pl.DataFrame:
    """One row per (action, candidate zone) with the local date `ldate` and time `ltime`."""
    z = acts.select("_ord", "regf", "channel", "at", pl.col("zones").alias("zone")).explode("zone")
    parts = [_localise(p, str(k[0]), "at", "l") for k, p in z.partition_by("zone", as_dict=True).items()]
    return pl.concat(parts) if parts else z.with_columns(ldate=pl.lit(None, pl.Date), ltime=pl.lit(None, pl.Time))


def time_codes(zoned: pl.DataFrame) -> pl.DataFrame:
    """R-02 / C-2: outside [08:00:00, 21:00:00] local in any zone, for calls, texts and emails."""
    bad = zoned.filter(pl.col("regf") & pl.col("channel").is_in(["call", "text", "email"]) &
                       ((pl.col("ltime") < time(8)) | (pl.col("ltime") > time(21))))
    return bad.select("_ord", pl.lit("REGF_INCONVENIENT_TIME").alias("code"))


def _zoned_events(evs: pl.DataFrame, zoned: pl.DataFrame) -> pl.DataFrame:
    j = evs.join(zoned.select("_ord", "zone"), on="_ord", how="inner")
    parts = [_localise(p, str(k[0]), "at", "e_") for k, p in j.partition_by("zone", as_dict=True).items()]
    return pl.concat(parts) if parts else j.with_columns(e_date=pl.lit(None, pl.Date), e_time=pl.lit(None, pl.Time))


def _empty_windows() -> pl.DataFrame:
    return pl.DataFrame(schema={"_ord": pl.UInt32, "debt": pl.Int64, "zone": pl.Utf8, "start": _UTC, "end": _UTC})


def _consent_windows(ze: pl.DataFrame, calls: pl.DataFrame) -> pl.DataFrame:
    """(_ord, debt, zone, start, end) of direct prior consent (1006.14(b)(3)(i))."""
    empty = _empty_windows()
    cons = ze.filter(pl.col("type") == "call_consent")
    if cons.height == 0:
        return empty
    keys = calls.select("_ord", "debt", "zone").unique()
    c = keys.join(cons.select("_ord", "zone", "debt_id", "at", "e_date", "limited_to_date"), on=["_ord", "zone"])
    c = c.filter(pl.col("debt_id").is_null() | (pl.col("debt_id") == pl.col("debt"))).with_row_index("_c")
    if c.height == 0:
        return empty
    c = c.with_columns(pl.min_horizontal(pl.col("e_date") + pl.duration(days=6), pl.col("limited_to_date"))
                       .alias("last_day"))
    parts = []
    for (z,), p in c.partition_by("zone", as_dict=True).items():
        parts.append(p.with_columns((pl.col("last_day") + pl.duration(days=1)).cast(pl.Datetime("us"))
                                    .dt.replace_time_zone(str(z), ambiguous="earliest", non_existent="null")
                                    .dt.convert_time_zone("UTC").alias("end0")))
    c = pl.concat(parts)
    enders = ze.filter(pl.col("type").is_in(["call_consent_revoked", "telephone_conversation"])).select(
        "_ord", "zone", "type", pl.col("debt_id").alias("x_debt"), pl.col("at").alias("x_at")).unique()
    ends = (c.join(enders, on=["_ord", "zone"], how="inner")
            .filter((pl.col("x_at") > pl.col("at")) & ((pl.col("type") == "call_consent_revoked") |
                                                        (pl.col("x_debt") == pl.col("debt"))))
            .group_by("_c").agg(pl.col("x_at").min().alias("x_end")))
    c = c.join(ends, on="_c", how="left")
    return c.select("_ord", "debt", "zone", pl.col("at").alias("start"),
                    pl.min_horizontal("end0", "x_end").alias("end"))


def _local_midnight(day: pl.Expr, zone_name: str) -> pl.Expr:
    """UTC instant of local midnight starting `day` in `zone_name` (DST-correct)."""
    naive = day.cast(pl.Datetime("us"))
    exact = naive.dt.replace_time_zone(zone_name, ambiguous="earliest", non_existent="null")
    # A zone whose clocks skip midnight starts the day at 01:00.
    shifted = naive.dt.offset_by("1h").dt.replace_time_zone(zone_name, ambiguous="earliest", non_existent="null")
    return pl.coalesce(exact, shifted).dt.convert_time_zone("UTC")


def local_day_bounds(rows: pl.DataFrame) -> pl.DataFrame:
    """Add the UTC bounds of the local dates D-6..D [w_start, w_end) and of D itself [d_start, w_end)
    for each (action, zone) row with local date `ldate` (C-1)."""
    parts = [p.with_columns(_local_midnight(pl.col("ldate") - pl.duration(days=6), str(z)).alias("w_start"),
                            _local_midnight(pl.col("ldate"), str(z)).alias("d_start"),
                            _local_midnight(pl.col("ldate") + pl.duration(days=1), str(z)).alias("w_end"))
             for (z,), p in rows.partition_by("zone", as_dict=True).items()]
    return pl.concat(parts)


def frequency_codes(per_debt: pl.DataFrame, zoned: pl.DataFrame, evs: pl.DataFrame) -> pl.DataFrame:
    """R-01 A (8th counted call in D-6..D) and B (conversation in D-6..D), per debt and zone."""
    calls = per_debt.filter(pl.col("regf") & (pl.col("channel") == "call")).select("_ord", "debt").join(
        zoned.select("_ord", "zone", "at", "ldate"), on="_ord")
    if calls.height == 0:
        return empty_codes()
    calls = local_day_bounds(calls)
    # Only the last 15 days can matter: the 7-day window plus a consent period that started before it.
    rel = evs.filter(pl.col("type").is_in(["call_placed", "telephone_conversation", "call_consent",
                                           "call_consent_revoked"])
                     & (pl.col("at") >= pl.col("a_at") - pl.duration(days=15)))
    windows = _empty_windows()
    if rel.filter(pl.col("type") == "call_consent").height:
        consent_related = rel.filter(pl.col("type") != "call_placed")
        windows = _consent_windows(_zoned_events(consent_related, zoned), calls)
    in_window = (pl.col("start") <= pl.col("at")) & (pl.col("at") < pl.col("end"))
    if windows.height:
        in_consent = calls.join(windows, on=["_ord", "debt", "zone"]).filter(in_window).select(
            "_ord", "debt", "zone").unique()
        calls = calls.join(in_consent, on=["_ord", "debt", "zone"], how="anti")
    placed = rel.filter((pl.col("type") == "call_placed") & ~pl.col("outcome").fill_null("").is_in(
        ["busy", "not_in_service"]) & (pl.col("initiated_by").fill_null("collector") != "consumer"))
    wrong = evs.filter(pl.col("type") == "wrong_number_learned").select("_ord", "target").unique()
    if wrong.height:
        placed = placed.join(wrong, on=["_ord", "target"], how="anti")
    placed = placed.select("_ord", pl.col("debt_id").alias("debt"), pl.col("at").alias("e_at")).with_row_index("_e")
    in_bounds = (pl.col("e_at") >= pl.col("w_start")) & (pl.col("e_at") < pl.col("w_end"))
    hits = calls.select("_ord", "debt", "zone", "w_start", "w_end").join(placed, on=["_ord", "debt"]).filter(
        in_bounds)
    if windows.height:
        excluded = placed.join(windows, on=["_ord", "debt"]).filter(
            (pl.col("start") <= pl.col("e_at")) & (pl.col("e_at") < pl.col("end"))).select("_e", "zone").unique()
        hits = hits.join(excluded, on=["_e", "zone"], how="anti")
    counts = hits.group_by(["_ord", "debt", "zone"]).len()
    freq = counts.filter(pl.col("len") >= 7).select("_ord", pl.lit("REGF_CALL_FREQ_7IN7").alias("code"))
    conv = rel.filter(pl.col("type") == "telephone_conversation").select(
        "_ord", pl.col("debt_id").alias("debt"), pl.col("at").alias("e_at"))
    after = calls.join(conv, on=["_ord", "debt"]).filter(in_bounds).select(
        "_ord", pl.lit("REGF_CALL_AFTER_CONVERSATION").alias("code"))
    return pl.concat([freq, after])
