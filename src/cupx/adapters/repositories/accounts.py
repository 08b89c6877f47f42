"""SQL implementation of the accounts port: customers (decrypted for the operator view), debts and
ledger entries from the core tables.

A reference that is all digits is tried as the CU-PX id first, then as an external id, so an external
id that happens to be numeric still resolves when no row has that id.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, insert, select

from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables import metadata
from cupx.adapters.tables.core import (
    customer_addresses,
    customer_emails,
    customer_phones,
    customers,
    debts,
    ledger_entries,
)
from cupx.adapters.uow import RuntimeLike
from cupx.analytics.frames import SCHEMAS
from cupx.domain.customer import normalize_email, normalize_phone
from cupx.domain.debt import DueInstalment
from cupx.services.accounts import AccountsRepository, CustomerQuery, CustomerRecord, DebtRecord, LedgerRecord
from cupx.services.models import PORTFOLIO_TABLES

__all__ = ["SqlAccountsRepository"]


def _split(text: str | None) -> list[str]:
    return [p for p in (text or "").split(",") if p]


def _schedule(text: str | None) -> tuple[DueInstalment, ...]:
    return tuple(DueInstalment(date.fromisoformat(d), int(m)) for d, m in json.loads(text or "[]"))


def _debt(row: Any) -> DebtRecord:
    return DebtRecord(id=int(row.id), external_id=row.external_id, customer_id=int(row.customer_id),
                      creditor=row.creditor, product=row.product, currency=row.currency,
                      original_minor=int(row.original_minor), jurisdiction=row.jurisdiction, opened_on=row.opened_on,
                      charge_off_date=row.charge_off_date, sol_date=row.sol_date,
                      due_schedule=_schedule(row.due_schedule), status=row.status)


def _entry(row: Any) -> LedgerRecord:
    return LedgerRecord(id=int(row.id), debt_id=int(row.debt_id), kind=row.kind, component=row.component,
                        amount_minor=int(row.amount_minor), currency=row.currency, effective_date=row.effective_date,
                        posted_at=row.posted_at, reverses_id=None if row.reverses_id is None else int(row.reverses_id),
                        external_id=row.external_id, source=row.source, memo=row.memo)


@implements(AccountsRepository)
class SqlAccountsRepository(AccountsRepository):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection
        self.cipher = runtime.cipher

    def _by_ref(self, query: Select[Any], table: Any, ref: str) -> Any:
        ref = ref.strip()
        if ref.isdigit():
            row = self.conn.execute(query.where(table.c.id == int(ref))).first()
            if row is not None:
                return row
        return self.conn.execute(query.where(table.c.external_id == ref)).first()

    def _customer(self, row: Any, with_contacts: bool) -> CustomerRecord:
        dec = self.cipher.decrypt_optional
        rec = CustomerRecord(
            id=int(row.id), external_id=row.external_id, name=self.cipher.decrypt(row.name_enc),
            date_of_birth=dec(row.dob_enc), preferred_language=row.preferred_language, flags=_split(row.flags),
            tz_candidates=_split(row.tz_candidates), stated_tz=row.stated_tz, customer_since=row.customer_since)
        if with_contacts:
            rec.phones.extend(self._phones(rec.id))
            rec.emails.extend(self._emails(rec.id))
            rec.addresses.extend(self._addresses(rec.id))
        return rec

    def _phones(self, customer_id: int) -> list[dict[str, Any]]:
        t = customer_phones
        rows = self.conn.execute(select(t).where(t.c.customer_id == customer_id).order_by(t.c.id)).all()
        return [{"number": self.cipher.decrypt(r.number_enc), "type": r.type, "provenance": r.provenance,
                 "tcpa_consent": bool(r.tcpa_consent), "consent_at": r.consent_at,
                 "consent_source": r.consent_source, "opted_out": bool(r.opted_out),
                 "wrong_number": bool(r.wrong_number)} for r in rows]

    def _emails(self, customer_id: int) -> list[dict[str, Any]]:
        t = customer_emails
        rows = self.conn.execute(select(t).where(t.c.customer_id == customer_id).order_by(t.c.id)).all()
        return [{"address": self.cipher.decrypt(r.address_enc), "provenance": r.provenance,
                 "opted_out": bool(r.opted_out), "bounced": bool(r.bounced)} for r in rows]

    def _addresses(self, customer_id: int) -> list[dict[str, Any]]:
        t = customer_addresses
        rows = self.conn.execute(select(t).where(t.c.customer_id == customer_id).order_by(t.c.id)).all()
        return [{"line1": self.cipher.decrypt(r.line1_enc), "line2": self.cipher.decrypt_optional(r.line2_enc) or "",
                 "city": self.cipher.decrypt(r.city_enc), "state": r.state, "postal_code": r.postal_code,
                 "country": r.country, "place": r.place, "undeliverable": bool(r.undeliverable)} for r in rows]

    def customer(self, ref: str) -> CustomerRecord | None:
        row = self._by_ref(select(customers), customers, ref)
        return None if row is None else self._customer(row, with_contacts=True)

    def search_customers(self, query: CustomerQuery) -> list[CustomerRecord]:
        q = select(customers).where(customers.c.id > query.after_id)
        if query.external_id is not None:
            q = q.where(customers.c.external_id == query.external_id)
        if query.phone is not None:
            digest = self.cipher.lookup_hash(normalize_phone(query.phone, field_name="phone"))
            q = q.where(customers.c.id.in_(select(customer_phones.c.customer_id)
                                           .where(customer_phones.c.number_hash == digest)))
        if query.email is not None:
            digest = self.cipher.lookup_hash(normalize_email(query.email, field_name="email"))
            q = q.where(customers.c.id.in_(select(customer_emails.c.customer_id)
                                           .where(customer_emails.c.address_hash == digest)))
        rows = self.conn.execute(q.order_by(customers.c.id).limit(query.limit)).all()
        return [self._customer(r, with_contacts=False) for r in rows]

    def debt(self, ref: str, *, for_update: bool = False) -> DebtRecord | None:
        query = select(debts).with_for_update() if for_update else select(debts)
        row = self._by_ref(query, debts, ref)
        return None if row is None else _debt(row)

    def debts_of(self, customer_id: int) -> list[DebtRecord]:
        rows = self.conn.execute(select(debts).where(debts.c.customer_id == customer_id).order_by(debts.c.id)).all()
        return [_debt(r) for r in rows]

    def ledger(self, debt_id: int) -> list[LedgerRecord]:
        t = ledger_entries
        rows = self.conn.execute(select(t).where(t.c.debt_id == debt_id).order_by(t.c.effective_date, t.c.id)).all()
        return [_entry(r) for r in rows]

    def ledger_entry(self, entry_id: int) -> LedgerRecord | None:
        row = self.conn.execute(select(ledger_entries).where(ledger_entries.c.id == entry_id)).first()
        return None if row is None else _entry(row)

    def entry_with_external_id(self, external_id: str) -> LedgerRecord | None:
        row = self.conn.execute(select(ledger_entries).where(ledger_entries.c.external_id == external_id)).first()
        return None if row is None else _entry(row)

    def add_ledger_entry(self, values: dict[str, Any]) -> int:
        result = self.conn.execute(insert(ledger_entries).values(**values))
        return int(result.inserted_primary_key[0])

    def portfolio_tables(self, customer_id: int) -> dict[str, Any]:
        # Same columns as the portfolio reader (the analytics SCHEMAS), filtered in SQL to one customer.
        own = select(debts.c.id).where(debts.c.customer_id == customer_id)
        out: dict[str, Any] = {}
        for name in PORTFOLIO_TABLES:
            tbl = metadata.tables.get(name)
            if tbl is None:
                continue
            q = select(*[tbl.c[c] for c in SCHEMAS.get(name, {}) if c in tbl.c])
            q = q.where(tbl.c.customer_id == customer_id) if "customer_id" in tbl.c else q.where(tbl.c.debt_id.in_(own))
            out[name] = pl.read_database(q, self.conn, infer_schema_length=None).lazy()
        return out
