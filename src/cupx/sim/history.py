"""Synthetic contact history in the `contacts` import format, in the RULES.md §6.2 vocabulary.

Before the simulation starts, the book has been worked a little: validation letters on older debts,
texts to consenting mobiles, calls with outcomes (some right-party), a few electronic opt-outs and a
few disputes (whose debts then start in status `disputed`). Every event happens before `as_of`.

Invariant: deterministic in (seed, customers, debts, as_of); instants are written with an offset.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

__all__ = ["contacts_frame"]

_CALL_OUTCOMES = np.array(["no_answer", "answered", "voicemail_message", "busy"])


def _at(day_offset: np.ndarray, hour: np.ndarray, as_of: date) -> np.ndarray:
    base = np.datetime64(as_of.isoformat(), "D").astype("datetime64[ms]")
    shift = (hour * 3600 + 60 * (day_offset % 53)).astype("timedelta64[s]")
    return (base - day_offset.astype("timedelta64[D]") + shift).astype("datetime64[ms]")


def _frame(kind: str, channel: str, customers: np.ndarray, debts: np.ndarray, at: np.ndarray,
           outcome: np.ndarray | str = "", right_party: np.ndarray | bool = False) -> pl.DataFrame:
    n = customers.shape[0]
    return pl.DataFrame({
        "customer_external_id": customers, "debt_external_ids": debts, "type": np.full(n, kind),
        "channel": np.full(n, channel), "at": at,
        "outcome": np.broadcast_to(np.asarray(outcome, dtype=object), (n,)).astype(str),
        "right_party": np.broadcast_to(np.asarray(right_party), (n,)),
    })


def contacts_frame(seed: int, customers: pl.DataFrame, debts: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Contact events; `debts` must carry the helper columns `owner` and `dpd`."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    first = debts.group_by("owner", maintain_order=True).agg(
        pl.col("external_id").first(), pl.col("dpd").max(), pl.col("external_id").str.join(";").alias("all"))
    owner = first["owner"].to_numpy()
    cust = customers["external_id"].to_numpy()[owner]
    all_debts = first["all"].to_numpy()
    dpd = first["dpd"].to_numpy()
    n = owner.shape[0]
    consent = customers["phone_tcpa_consent"].to_numpy()[owner] == "true"
    hour = rng.integers(14, 23, n)  # UTC: mid-morning to late afternoon across US zones
    frames = []
    letter = dpd > 30
    frames.append(_frame("letter_sent", "letter", cust[letter], all_debts[letter],
                         _at(dpd[letter] - 25, hour[letter], as_of)))
    texted = consent & (rng.random(n) < 0.45)
    frames.append(_frame("text_sent", "sms", cust[texted], all_debts[texted],
                         _at(rng.integers(1, 29, n)[texted], hour[texted], as_of)))
    called = rng.random(n) < 0.35
    outcome = _CALL_OUTCOMES[rng.choice(4, size=n, p=[0.55, 0.2, 0.2, 0.05])]
    frames.append(_frame("call_placed", "call", cust[called], all_debts[called],
                         _at(rng.integers(1, 20, n)[called], hour[called], as_of),
                         outcome[called], outcome[called] == "answered"))
    opted = texted & (rng.random(n) < 0.06)
    frames.append(_frame("electronic_opt_out", "sms", cust[opted], all_debts[opted],
                         _at(rng.integers(1, 4, n)[opted], hour[opted], as_of)))
    disputed = (rng.random(n) < 0.012) & (dpd > 10)
    frames.append(_frame("dispute", "letter", cust[disputed], all_debts[disputed],
                         _at(rng.integers(1, 10, n)[disputed], hour[disputed], as_of)))
    events = pl.concat(frames).sort("at", "customer_external_id", "type")
    return events.with_row_index("seq").select(
        pl.format("EVT{}", pl.col("seq").cast(pl.Utf8).str.zfill(10)).alias("external_id"),
        "customer_external_id", "debt_external_ids", "type", "channel",
        pl.col("at").dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").alias("at"),
        "outcome", pl.col("right_party").cast(pl.Utf8).str.to_lowercase().alias("right_party"),
        pl.lit("{}").alias("payload"),
    )
