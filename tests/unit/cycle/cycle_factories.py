"""Factories for cycle inputs: a small portfolio described in a few fields per debt, as the raw frames
the adapter would load."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from cupx.cycle.inputs import INPUT_SCHEMAS, CycleInputs

AS_OF = date(2026, 11, 30)


@dataclass
class Portfolio:
    """Accumulates raw rows; `inputs()` gives the CycleInputs."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _next: dict[str, int] = field(default_factory=dict)

    def _id(self, table: str) -> int:
        self._next[table] = self._next.get(table, 0) + 1
        return self._next[table]

    def add(self, table: str, **row: Any) -> dict[str, Any]:
        self.rows.setdefault(table, []).append(row)
        return row

    def customer(self, *, flags: str = "", language: str = "en", tz: str = "America/Chicago",
                 since: date | None = date(2020, 1, 1), mobile: bool = True, email: bool = True,
                 address: bool = True) -> int:
        cid = self._id("customers")
        self.add("customers", id=cid, preferred_language=language, flags=flags, tz_candidates=tz,
                 customer_since=since)
        for table, has in (("mobiles", mobile), ("emails", email), ("addresses", address)):
            if has:
                self.add(table, customer_id=cid)
        return cid

    def debt(self, customer_id: int, *, dpd: int = 10, amount: int = 50_000, product: str = "credit_card",
             status: str = "delinquent", paid: int = 0, as_of: date = AS_OF) -> int:
        did = self._id("debts")
        due = as_of - timedelta(days=dpd)
        self.add("debts", id=did, customer_id=customer_id, product=product, currency="USD", original_minor=amount,
                 jurisdiction="US", due_schedule=json.dumps([[due.isoformat(), amount]]), status=status)
        self.add("ledger_entries", id=self._id("ledger"), debt_id=did, kind="charge", amount_minor=amount,
                 effective_date=due - timedelta(days=30), reverses_id=None)
        if paid:
            self.add("ledger_entries", id=self._id("ledger"), debt_id=did, kind="payment", amount_minor=paid,
                     effective_date=as_of - timedelta(days=5), reverses_id=None)
        return did

    def event(self, customer_id: int, type_: str, at: datetime, *, channel: str | None = None,
              right_party: bool = False, debt_id: int | None = None, payload: str | None = None) -> None:
        self.add("contact_events", customer_id=customer_id, debt_id=debt_id, type=type_, channel=channel,
                 at=at.astimezone(UTC), right_party=right_party, outcome=None, payload=payload)

    def inputs(self) -> CycleInputs:
        return CycleInputs({name: pl.DataFrame(rows, schema=INPUT_SCHEMAS[name], orient="row")
                            for name, rows in self.rows.items()})
