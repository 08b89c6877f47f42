"""The raw input frames of a cycle run, one per source table, with their Polars schemas.

The adapter loads each with ONE query (COPY on PostgreSQL) already restricted to what is known as of
the run date; `cupx.cycle.features` turns them into one feature row per debt. Tests build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

__all__ = ["INPUT_SCHEMAS", "CycleInputs"]

_I, _S, _D, _B = pl.Int64(), pl.String(), pl.Date(), pl.Boolean()
_T = pl.Datetime("us", "UTC")

INPUT_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    # open debts (status not resolved/closed)
    "debts": {"id": _I, "customer_id": _I, "product": _S, "currency": _S, "original_minor": _I,
              "jurisdiction": _S, "due_schedule": _S, "status": _S},
    "customers": {"id": _I, "preferred_language": _S, "flags": _S, "tz_candidates": _S, "customer_since": _D},
    # effective on or before the run date
    "ledger_entries": {"id": _I, "debt_id": _I, "kind": _S, "amount_minor": _I, "effective_date": _D,
                       "reverses_id": _I},
    # learned before the end of the run date
    "contact_events": {"customer_id": _I, "debt_id": _I, "type": _S, "channel": _S, "at": _T, "right_party": _B,
                       "outcome": _S, "payload": _S},  # payload (JSON) only for the event types the guard reads
    # customers with a usable contact point of each kind (one column: customer_id)
    "mobiles": {"customer_id": _I},
    "emails": {"customer_id": _I},
    "addresses": {"customer_id": _I},
    "promises": {"customer_id": _I, "debt_id": _I, "status": _S, "promised_on": _D, "resolved_on": _D},
    "payment_plans": {"customer_id": _I, "debt_id": _I, "status": _S, "consecutive_misses": _I},
    "breathing_spaces": {"customer_id": _I, "debt_id": _I, "starts_on": _D, "ends_on": _D, "status": _S},
    "progress": {"debt_id": _I, "episode": _D, "step_id": _S, "attempts": _I, "skipped": _B, "last_on": _D},
    "assignments": {"experiment_id": _S, "customer_id": _I, "arm": _S},
}


@dataclass
class CycleInputs:
    """Eager frames keyed by INPUT_SCHEMAS names; a missing table is empty."""

    frames: dict[str, pl.DataFrame] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pl.LazyFrame:
        df = self.frames.get(name)
        if df is None:
            return pl.LazyFrame(schema=INPUT_SCHEMAS[name])
        return df.lazy()

    @property
    def rows(self) -> int:
        return sum(df.height for df in self.frames.values())
