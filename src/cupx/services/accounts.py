"""Accounts: read models of customers and debts, and posting one ledger entry.

Read models are derived, never stored: a debt's balance per component comes from replaying its ledger
entries (`cupx.domain.ledger.derive_balance`) and its days past due from its due schedule and net
payments (`cupx.domain.debt.days_past_due`), both as of a date the caller passes (the edge reads the
clock once). Contact points come back decrypted: these views are for authorised staff and operators.

`post_ledger_entry` appends one entry after checking it against the debt and its ledger (the debt
exists, same currency, amount sign, a reversal's target exists on the same debt and is not reversed
yet); every refusal names the offending field. The debt row is locked while posting (PostgreSQL), so two
concurrent reversals of one entry cannot both pass.
"""

from __future__ import annotations

import abc
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from cupx.domain.debt import DueInstalment, days_past_due, oldest_unpaid_due
from cupx.domain.errors import Conflict, ErrorCode, NotFound, ValidationError
from cupx.domain.ledger import Balance, Component, EntryKind, LedgerEntry, derive_balance
from cupx.services.uow import UnitOfWork

__all__ = [
    "AccountsRepository",
    "CustomerPage",
    "CustomerQuery",
    "CustomerRecord",
    "CustomerView",
    "DebtRecord",
    "DebtView",
    "LedgerRecord",
    "PostLedgerEntry",
    "debt_view",
    "customer_view",
    "find_customers",
    "ledger_of",
    "post_ledger_entry",
]

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A customer as stored, personal data already decrypted by the adapter."""

    id: int
    external_id: str
    name: str
    date_of_birth: str | None
    preferred_language: str
    flags: list[str]
    tz_candidates: list[str]
    stated_tz: str | None
    customer_since: date | None
    phones: list[dict[str, Any]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DebtRecord:
    id: int
    external_id: str
    customer_id: int
    creditor: str
    product: str
    currency: str
    original_minor: int
    jurisdiction: str
    opened_on: date | None
    charge_off_date: date | None
    sol_date: date | None
    due_schedule: tuple[DueInstalment, ...]
    status: str


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    id: int
    debt_id: int
    kind: str
    component: str | None
    amount_minor: int
    currency: str
    effective_date: date
    posted_at: datetime
    reverses_id: int | None
    external_id: str | None
    source: str
    memo: str

    def to_entry(self) -> LedgerEntry:
        # seq = id keeps posting order within a day (entry ids compare as strings otherwise).
        return LedgerEntry(entry_id=str(self.id), debt_id=self.debt_id, kind=EntryKind(self.kind),
                           amount_minor=self.amount_minor, currency=self.currency,
                           effective_date=self.effective_date, seq=self.id,
                           component=Component(self.component) if self.component else None,
                           reverses=str(self.reverses_id) if self.reverses_id is not None else None,
                           posted_at=self.posted_at, external_id=self.external_id, memo=self.memo)


@dataclass(frozen=True, slots=True)
class CustomerQuery:
    """Find customers by exact phone or email (through the keyed hash) or external id; keyset-paged."""

    phone: str | None = None
    email: str | None = None
    external_id: str | None = None
    after_id: int = 0
    limit: int = 50


class AccountsRepository(abc.ABC):
    """Port: customers, debts and ledger entries as the accounts views need them."""

    @abc.abstractmethod
    def customer(self, ref: str) -> CustomerRecord | None:
        """By CU-PX id (all digits) first, else by external id."""

    @abc.abstractmethod
    def search_customers(self, query: CustomerQuery) -> list[CustomerRecord]:
        """Summaries (no contact points) matching the query, ordered by id, after `after_id`."""

    @abc.abstractmethod
    def debt(self, ref: str, *, for_update: bool = False) -> DebtRecord | None: ...

    @abc.abstractmethod
    def debts_of(self, customer_id: int) -> list[DebtRecord]: ...

    @abc.abstractmethod
    def ledger(self, debt_id: int) -> list[LedgerRecord]: ...

    @abc.abstractmethod
    def ledger_entry(self, entry_id: int) -> LedgerRecord | None: ...

    @abc.abstractmethod
    def entry_with_external_id(self, external_id: str) -> LedgerRecord | None: ...

    @abc.abstractmethod
    def add_ledger_entry(self, values: dict[str, Any]) -> int: ...

    def portfolio_tables(self, customer_id: int) -> dict[str, Any]:
        """The portfolio tables (contract C7 shape: Polars lazy frames by table name, database column
        names) cut down to one customer and their debts, so one account is scored without reading the
        whole portfolio. Optional for implementations that never serve the agent's account view."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class DebtView:
    id: int
    external_id: str
    customer_id: int
    creditor: str
    product: str
    currency: str
    original_minor: int
    jurisdiction: str
    opened_on: date | None
    charge_off_date: date | None
    sol_date: date | None
    status: str
    as_of: date
    balance_minor: int
    breakdown: dict[str, int]  # principal, interest, fees, credit
    paid_minor: int
    written_off_minor: int
    days_past_due: int
    oldest_unpaid_due_on: date | None
    time_barred: bool
    due_schedule: list[dict[str, Any]]
    ledger: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.ledger is None:
            del out["ledger"]
        return out


@dataclass(frozen=True, slots=True)
class CustomerView:
    customer: CustomerRecord
    debts: list[DebtView]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self.customer)
        out["debts"] = [d.to_dict() for d in self.debts]
        return out


@dataclass(frozen=True, slots=True)
class CustomerPage:
    items: list[CustomerRecord]
    next_after: int | None  # pass as `after_id` for the next page; None on the last page

    def to_dict(self) -> dict[str, Any]:
        keys = ("id", "external_id", "name", "preferred_language", "flags")
        return {"items": [{k: getattr(c, k) for k in keys} for c in self.items], "next_after": self.next_after}


def _entry_dict(rec: LedgerRecord, reversed_by: dict[int, int]) -> dict[str, Any]:
    out = asdict(rec)
    out["reversed_by"] = reversed_by.get(rec.id)
    return out


def _balance(debt: DebtRecord, entries: list[LedgerEntry], as_of: date) -> Balance:
    if not any(e.effective_date <= as_of for e in entries):
        return Balance(currency=debt.currency)
    return derive_balance(entries, as_of)


def _debt_view(repo: AccountsRepository, debt: DebtRecord, as_of: date, with_ledger: bool) -> DebtView:
    records = repo.ledger(debt.id)
    bal = _balance(debt, [r.to_entry() for r in records], as_of)
    reversed_by = {r.reverses_id: r.id for r in records if r.reverses_id is not None}
    return DebtView(
        id=debt.id, external_id=debt.external_id, customer_id=debt.customer_id, creditor=debt.creditor,
        product=debt.product, currency=debt.currency, original_minor=debt.original_minor,
        jurisdiction=debt.jurisdiction, opened_on=debt.opened_on, charge_off_date=debt.charge_off_date,
        sol_date=debt.sol_date, status=debt.status, as_of=as_of, balance_minor=bal.total,
        breakdown={"principal": bal.principal, "interest": bal.interest, "fees": bal.fees, "credit": bal.credit},
        paid_minor=bal.paid, written_off_minor=bal.written_off,
        days_past_due=days_past_due(debt.due_schedule, bal.paid, as_of, bal.total),
        oldest_unpaid_due_on=None if bal.total <= 0 else oldest_unpaid_due(debt.due_schedule, bal.paid, as_of),
        time_barred=debt.sol_date is not None and as_of > debt.sol_date,
        due_schedule=[{"due_on": i.due_on, "amount_minor": i.amount_minor} for i in debt.due_schedule],
        ledger=[_entry_dict(r, reversed_by) for r in records] if with_ledger else None,
    )


def debt_view(uow: UnitOfWork, ref: str, as_of: date, *, with_ledger: bool = False) -> DebtView:
    """A debt with its balance breakdown and DPD as of a date; `ref` is the CU-PX id or the external id."""
    repo = uow[AccountsRepository]
    debt = repo.debt(ref)
    if debt is None:
        raise NotFound(f"no debt {ref!r}", field="id")
    return _debt_view(repo, debt, as_of, with_ledger)


def ledger_of(uow: UnitOfWork, ref: str) -> list[dict[str, Any]]:
    """A debt's ledger entries in posting order, each with the id of the entry reversing it, if any."""
    repo = uow[AccountsRepository]
    debt = repo.debt(ref)
    if debt is None:
        raise NotFound(f"no debt {ref!r}", field="id")
    records = repo.ledger(debt.id)
    reversed_by = {r.reverses_id: r.id for r in records if r.reverses_id is not None}
    return [_entry_dict(r, reversed_by) for r in records]


def customer_view(uow: UnitOfWork, ref: str, as_of: date) -> CustomerView:
    """A customer with decrypted contact points and every debt's view as of a date."""
    repo = uow[AccountsRepository]
    customer = repo.customer(ref)
    if customer is None:
        raise NotFound(f"no customer {ref!r}", field="id")
    return CustomerView(customer, [_debt_view(repo, d, as_of, False) for d in repo.debts_of(customer.id)])


def find_customers(uow: UnitOfWork, query: CustomerQuery) -> CustomerPage:
    """One page of customers matching an exact phone, email or external id (or all, by id)."""
    if not 1 <= query.limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if query.after_id < 0:
        raise ValidationError("after_id must not be negative", field="after_id")
    items = uow[AccountsRepository].search_customers(query)
    next_after = items[-1].id if len(items) == query.limit else None
    return CustomerPage(items, next_after)


@dataclass(frozen=True, slots=True)
class PostLedgerEntry:
    """Command: append one entry to a debt's ledger.

    `amount_minor` is positive for every kind but an adjustment, which is signed and names its
    `component`. A reversal names `reverses_id`; its amount defaults to (and must equal) the target's.
    `effective_date` defaults to `today`, the caller's date.
    """

    debt_id: str  # CU-PX id or external id
    kind: str
    currency: str
    today: date
    now: datetime
    amount_minor: int | None = None
    effective_date: date | None = None
    component: str | None = None
    reverses_id: int | None = None
    external_id: str | None = None
    memo: str = ""
    source: str = "api"
    idempotency_key: str | None = None


def _check_kind_and_component(cmd: PostLedgerEntry) -> tuple[EntryKind, Component | None]:
    try:
        kind = EntryKind(cmd.kind)
    except ValueError:
        raise ValidationError(f"unknown entry kind {cmd.kind!r}; one of {', '.join(EntryKind)}",
                              field="kind") from None
    component = None
    if cmd.component is not None:
        try:
            component = Component(cmd.component)
        except ValueError:
            raise ValidationError(f"unknown component {cmd.component!r}", field="component") from None
    if kind == EntryKind.ADJUSTMENT and component is None:
        raise ValidationError("an adjustment names the component it corrects", field="component")
    if kind != EntryKind.ADJUSTMENT and component is not None:
        raise ValidationError(f"a {kind} entry takes no component (only adjustments do)", field="component")
    if kind != EntryKind.REVERSAL and cmd.reverses_id is not None:
        raise ValidationError("only a reversal names reverses_id", field="reverses_id")
    return kind, component


def _check_reversal(repo: AccountsRepository, cmd: PostLedgerEntry, debt: DebtRecord,
                    effective: date) -> LedgerRecord:
    if cmd.reverses_id is None:
        raise ValidationError("a reversal names the entry it reverses", field="reverses_id")
    target = repo.ledger_entry(cmd.reverses_id)
    if target is None:
        raise ValidationError(f"no ledger entry {cmd.reverses_id}", field="reverses_id")
    if target.debt_id != debt.id:
        raise ValidationError(f"entry {target.id} belongs to another debt", field="reverses_id")
    if target.kind == EntryKind.REVERSAL:
        raise ValidationError("a reversal cannot itself be reversed; post the entry again", field="reverses_id")
    if any(r.reverses_id == target.id for r in repo.ledger(debt.id)):
        raise ValidationError(f"entry {target.id} is already reversed", field="reverses_id")
    if effective < target.effective_date:
        raise ValidationError(f"a reversal cannot take effect before its target ({target.effective_date})",
                              field="effective_date")
    if cmd.amount_minor is not None and cmd.amount_minor != target.amount_minor:
        raise ValidationError(f"a reversal undoes the whole entry: amount must be {target.amount_minor}",
                              field="amount_minor")
    return target


def _check_amount(kind: EntryKind, amount: int | None) -> int:
    if amount is None or isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationError("amount_minor is required, in whole minor units", field="amount_minor")
    if kind == EntryKind.ADJUSTMENT:
        if amount == 0:
            raise ValidationError("an adjustment of zero changes nothing", field="amount_minor")
    elif amount <= 0:
        raise ValidationError(f"a {kind} amount must be positive", field="amount_minor")
    return amount


def post_ledger_entry(uow: UnitOfWork, cmd: PostLedgerEntry) -> dict[str, Any]:
    """Validate and append one ledger entry; returns the stored entry. Commits."""
    kind, component = _check_kind_and_component(cmd)
    repo = uow[AccountsRepository]
    debt = repo.debt(cmd.debt_id, for_update=True)
    if debt is None:
        raise ValidationError(f"no debt {cmd.debt_id!r}", field="debt_id")
    if cmd.currency != debt.currency:
        raise ValidationError(f"the debt is in {debt.currency}, not {cmd.currency}", field="currency",
                              code=ErrorCode.CURRENCY_MISMATCH)
    effective = cmd.effective_date or cmd.today
    amount = cmd.amount_minor
    if kind == EntryKind.REVERSAL:
        amount = _check_reversal(repo, cmd, debt, effective).amount_minor
    amount = _check_amount(kind, amount)
    if cmd.external_id is not None and repo.entry_with_external_id(cmd.external_id) is not None:
        raise Conflict(f"a ledger entry with external id {cmd.external_id!r} exists", field="external_id")
    if len(cmd.memo) > 500:
        raise ValidationError("memo is limited to 500 characters", field="memo")
    values = {"debt_id": debt.id, "kind": str(kind), "component": component and str(component),
              "amount_minor": amount, "currency": debt.currency, "effective_date": effective,
              "posted_at": cmd.now, "reverses_id": cmd.reverses_id, "external_id": cmd.external_id,
              "idempotency_key": cmd.idempotency_key, "source": cmd.source, "memo": cmd.memo}
    entry_id = repo.add_ledger_entry(values)
    # Replay the whole ledger with the new entry: the domain's own checks have the last word.
    derive_balance([r.to_entry() for r in repo.ledger(debt.id)])
    uow.commit()
    stored = repo.ledger_entry(entry_id)
    assert stored is not None
    return _entry_dict(stored, {})
