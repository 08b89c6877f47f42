"""Factories for the payments tests: a customer with debts and their charges, written straight to the
core tables (the import path has its own tests). Defaults everywhere; `now` is passed in."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select

from cupx.adapters.tables.core import customer_emails, customers, debts, ledger_entries
from cupx.bootstrap import Runtime

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_serial = itertools.count(1)


def make_customer(runtime: Runtime, *, email: bool = True, flags: str = "", now: datetime = NOW) -> int:
    n = next(_serial)
    with runtime.engine.begin() as conn:
        cid = conn.execute(insert(customers).values(
            external_id=f"C-{n}-{id(runtime)}", name_enc=runtime.cipher.encrypt(f"Customer {n}"), flags=flags,
            row_hash="x", created_at=now, updated_at=now)).inserted_primary_key[0]
        if email:
            address = f"c{n}@example.com"
            conn.execute(insert(customer_emails).values(
                customer_id=cid, address_enc=runtime.cipher.encrypt(address),
                address_hash=runtime.cipher.lookup_hash(address)))
    return int(cid)


def make_debt(runtime: Runtime, customer_id: int, balance_minor: int = 10_000, *, currency: str = "USD",
              status: str = "delinquent", opened_on: date = date(2025, 1, 1), now: datetime = NOW) -> int:
    n = next(_serial)
    with runtime.engine.begin() as conn:
        did = conn.execute(insert(debts).values(
            external_id=f"D-{n}-{id(runtime)}", customer_id=customer_id, creditor="Acme", product="credit_card",
            currency=currency, original_minor=balance_minor, opened_on=opened_on, status=status, row_hash="x",
            created_at=now, updated_at=now)).inserted_primary_key[0]
        if balance_minor:
            conn.execute(insert(ledger_entries).values(
                debt_id=did, kind="charge", amount_minor=balance_minor, currency=currency,
                effective_date=opened_on, posted_at=now, source="import"))
    return int(did)


def ledger_total(runtime: Runtime, debt_id: int) -> int:
    """The signed sum of the debt's entries, computed in Python from the rows (independent of the SQL)."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(ledger_entries).where(ledger_entries.c.debt_id == debt_id)).all()
        by_id = {r.id: r for r in conn.execute(select(ledger_entries)).all()}
    total = 0
    for r in rows:
        total += _signed(r, by_id)
    return total


def _signed(r: Any, by_id: dict[int, Any]) -> int:
    if r.kind in ("payment", "write_off"):
        return -int(r.amount_minor)
    if r.kind == "reversal":
        return -_signed(by_id[r.reverses_id], by_id)
    return int(r.amount_minor)


def count(runtime: Runtime, table: Any, *where: Any) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar() or 0)


def debt_status(runtime: Runtime, debt_id: int) -> str:
    with runtime.engine.connect() as conn:
        return str(conn.execute(select(debts.c.status).where(debts.c.id == debt_id)).scalar())
