"""Collection KPIs over one period, computed from the records the platform keeps (docs/kpis.md).

The repository (`KpiSource`, implemented in adapters/repositories/kpis.py) hands over plain frames;
everything here is pure Polars math, so the CLI (`cupx report kpis`), the dashboard and its CSV export
show the same numbers for the same filters.

Definitions (see docs/kpis.md for the reasoning):
- accounts in scope: debts that were open (balance > 0) at the start of the period, narrowed by the
  filters (segment, strategy: the customer's latest cycle decision; product).
- collected: the sum of posted payments received in the period by customers in scope, per currency.
- recovery rate: collected / balance at the start, per currency.
- cure rate: among accounts in scope that were delinquent (DPD > 0) at the start, the share with a
  zero balance or zero DPD at the end of the period.
- roll rates: DPD bucket at the start against bucket at the end; forward roll = share that got worse.
- promise-kept rate: kept / (kept + broken) among promises resolved in the period.
- contact rate: customers with an outbound contact / customers in scope; right-party contact rate:
  customers with a right-party contact / customers contacted.
- cost per unit collected: per-channel unit costs (CHANNEL_COST_MINOR) times contacts, / collected.
- compliance blocks by reason, champion against challenger (per arm), CSAT (surveys, 1..5).

Invariant: amounts are integer minor units; rates are ratios rounded to 4 places, 0 when the base is 0.
"""

from __future__ import annotations

import abc
import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import polars as pl

from cupx.services.uow import UnitOfWork

__all__ = ["BUCKETS", "CHANNEL_COST_MINOR", "KpiFilters", "KpiSource", "compute_kpis", "kpis", "kpis_csv"]

# Unit cost of one contact, in minor units of the account's currency (documented in docs/kpis.md):
# a text ~1 cent, an email a tenth of a cent (rounded up to 1), a printed and posted letter 85 cents,
# an agent call ~4 minutes of loaded agent time at $36/hour = $2.40.
CHANNEL_COST_MINOR: dict[str, int] = {"sms": 1, "email": 1, "letter": 85, "call": 240}
BUCKETS = ("current", "1-30", "31-60", "61-90", "91-180", "181+")
OUTBOUND = ("text_sent", "email_sent", "letter_sent", "call_placed")


@dataclass(frozen=True, slots=True)
class KpiFilters:
    date_from: date | None = None
    date_to: date | None = None
    segment: str | None = None
    strategy: str | None = None
    product: str | None = None


class KpiSource(abc.ABC):
    """Read-only frames for the KPIs. Instants are aware UTC; dates are `date`."""

    @abc.abstractmethod
    def period_bounds(self) -> tuple[date, date]: ...
    @abc.abstractmethod
    def debts(self) -> pl.DataFrame: ...  # id, customer_id, product, currency, due_schedule, status
    @abc.abstractmethod
    def ledger(self) -> pl.DataFrame: ...  # debt_id, effective_date, signed_minor, is_payment (bool)
    @abc.abstractmethod
    def payments(self, start: datetime, end: datetime) -> pl.DataFrame: ...  # customer_id, amount_minor, currency, day
    @abc.abstractmethod
    def promises(self, start: datetime, end: datetime) -> pl.DataFrame: ...  # customer_id, status
    @abc.abstractmethod
    def contacts(self, start: datetime, end: datetime) -> pl.DataFrame: ...  # customer_id, type, channel, rpc, day
    @abc.abstractmethod
    def assignments(self, end: datetime) -> pl.DataFrame: ...  # customer_id, segment, strategy, arm
    @abc.abstractmethod
    def blocks(self, start: datetime, end: datetime) -> pl.DataFrame: ...  # customer_id, reason
    @abc.abstractmethod
    def surveys(self, start: datetime, end: datetime) -> pl.DataFrame: ...  # customer_id, score


def _rate(num: float, den: float) -> float:
    return round(num / den, 4) if den else 0.0


def _instant(d: date, end: bool = False) -> datetime:
    return datetime.combine(d, time.max if end else time.min, tzinfo=UTC)


def bucket_expr(dpd: pl.Expr) -> pl.Expr:
    return (pl.when(dpd <= 0).then(pl.lit("current")).when(dpd <= 30).then(pl.lit("1-30"))
            .when(dpd <= 60).then(pl.lit("31-60")).when(dpd <= 90).then(pl.lit("61-90"))
            .when(dpd <= 180).then(pl.lit("91-180")).otherwise(pl.lit("181+")))


def positions(debts: pl.DataFrame, ledger: pl.DataFrame, on: date) -> pl.DataFrame:
    """Per debt on a date: balance and DPD (the oldest instalment not covered by net payments)."""
    upto = ledger.filter(pl.col("effective_date") <= on)
    sums = upto.group_by("debt_id").agg(
        pl.col("signed_minor").sum().alias("balance"),
        (-pl.col("signed_minor")).filter(pl.col("is_payment")).sum().alias("paid"))
    rows = [(d, date.fromisoformat(when), int(amt)) for d, sched in zip(debts["id"], debts["due_schedule"], strict=True)
            for when, amt in json.loads(sched or "[]")]
    sched = pl.DataFrame(rows, schema={"debt_id": pl.Int64, "due_on": pl.Date, "amount": pl.Int64}, orient="row")
    sched = sched.filter(pl.col("due_on") < on).sort("debt_id", "due_on").with_columns(
        pl.col("amount").cum_sum().over("debt_id").alias("cum_due"))
    base = debts.select(pl.col("id").alias("debt_id")).join(sums, on="debt_id", how="left").fill_null(0)
    oldest = sched.join(base, on="debt_id").filter(pl.col("cum_due") > pl.col("paid")).group_by("debt_id").agg(
        pl.col("due_on").min())
    out = base.join(oldest, on="debt_id", how="left").with_columns(
        pl.when((pl.col("balance") > 0) & pl.col("due_on").is_not_null())
        .then((pl.lit(on) - pl.col("due_on")).dt.total_days()).otherwise(0).alias("dpd"))
    return out.with_columns(bucket_expr(pl.col("dpd")).alias("bucket")).select("debt_id", "balance", "dpd", "bucket")


def _scope(src: KpiSource, f: KpiFilters, start: date, end: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(accounts in scope with start/end positions and assignment, customer assignments)."""
    debts, ledger = src.debts(), src.ledger()
    first = positions(debts, ledger, start - _ONE_DAY).rename({"balance": "bal0", "dpd": "dpd0", "bucket": "b0"})
    last = positions(debts, ledger, end).rename({"balance": "bal1", "dpd": "dpd1", "bucket": "b1"})
    assign = src.assignments(_instant(end, True))
    acc = (debts.rename({"id": "debt_id"}).join(first, on="debt_id").join(last, on="debt_id")
           .join(assign, on="customer_id", how="left")
           .with_columns(pl.col("segment").fill_null("unassigned"), pl.col("strategy").fill_null("unassigned"),
                         pl.col("arm").fill_null("none"))
           .filter(pl.col("bal0") > 0))
    if f.segment:
        acc = acc.filter(pl.col("segment") == f.segment)
    if f.strategy:
        acc = acc.filter(pl.col("strategy") == f.strategy)
    if f.product:
        acc = acc.filter(pl.col("product") == f.product)
    return acc, assign


def _money(acc: pl.DataFrame, pays: pl.DataFrame, contacts: pl.DataFrame) -> dict[str, Any]:
    cur_of = acc.group_by("customer_id").agg(pl.col("currency").first())
    cost = (contacts.filter(pl.col("type").is_in(OUTBOUND)).join(cur_of, on="customer_id")
            .with_columns(pl.col("channel").replace_strict(CHANNEL_COST_MINOR, default=0, return_dtype=pl.Int64)
                          .alias("cost")).group_by("currency").agg(pl.col("cost").sum()))
    costs = dict(zip(cost["currency"], cost["cost"], strict=True))
    out: dict[str, Any] = {}
    for cur in sorted(set(acc["currency"])):
        bal0 = int(acc.filter(pl.col("currency") == cur)["bal0"].sum())
        p = pays.filter(pl.col("currency") == cur)
        collected = int(p["amount_minor"].sum())
        c = int(costs.get(cur, 0))
        out[cur] = {"balance_start_minor": bal0, "collected_minor": collected, "payments": p.height,
                    "recovery_rate": _rate(collected, bal0), "contact_cost_minor": c,
                    "cost_per_unit_collected": _rate(c, collected)}
    return out


def _rolls(acc: pl.DataFrame) -> dict[str, Any]:
    order = {b: i for i, b in enumerate(BUCKETS)}
    matrix = {b: {t: 0 for t in BUCKETS} for b in BUCKETS}
    for b0, b1, n in acc.group_by("b0", "b1").len().iter_rows():
        matrix[b0][b1] = int(n)
    forward = {b: _rate(sum(n for t, n in row.items() if order[t] > order[b]), sum(row.values()))
               for b, row in matrix.items() if b != "current"}
    return {"matrix": matrix, "forward": forward}


def _contact(acc: pl.DataFrame, contacts: pl.DataFrame) -> dict[str, Any]:
    customers = acc["customer_id"].unique()
    mine = contacts.filter(pl.col("customer_id").is_in(customers.implode()))
    out = mine.filter(pl.col("type").is_in(OUTBOUND))
    reached = mine.filter(pl.col("right_party"))["customer_id"].n_unique()
    contacted = out["customer_id"].n_unique()
    by_channel = {str(k): int(v) for k, v in out.group_by("channel").len().sort("channel").iter_rows()}
    return {"customers": customers.len(), "customers_contacted": contacted, "contacts": out.height,
            "by_channel": by_channel, "contact_rate": _rate(contacted, customers.len()),
            "right_party_contacts": reached, "rpc_rate": _rate(reached, contacted)}


def _arms(acc: pl.DataFrame, pays: pl.DataFrame) -> list[dict[str, Any]]:
    paid = pays.group_by("customer_id").agg(pl.col("amount_minor").sum().alias("paid"))
    late = pl.col("dpd0") > 0
    per_cust = acc.group_by("customer_id").agg(
        pl.col("arm").first(), pl.col("bal0").sum(), late.any().alias("late"),
        (((pl.col("bal1") <= 0) | (pl.col("dpd1") == 0)) | ~late).all().alias("cured"))
    per_cust = per_cust.join(paid, on="customer_id", how="left").fill_null(0)
    rows = []
    for arm, n, bal0, collected, late_n, cured in per_cust.group_by("arm").agg(
            pl.len(), pl.col("bal0").sum(), pl.col("paid").sum(), pl.col("late").sum(),
            (pl.col("cured") & pl.col("late")).sum()).sort("arm").iter_rows():
        rows.append({"arm": arm, "customers": int(n), "collected_minor": int(collected),
                     "recovery_rate": _rate(collected, bal0), "cure_rate": _rate(cured, late_n)})
    return rows


def _daily(pays: pl.DataFrame, contacts: pl.DataFrame, acc: pl.DataFrame) -> dict[str, Any]:
    """Per day of the period: collected per currency and outbound contacts (the dashboard's trend)."""
    mine = contacts.filter(pl.col("type").is_in(OUTBOUND) & pl.col("customer_id").is_in(
        acc["customer_id"].unique().implode()))
    money = pays.group_by("day", "currency").agg(pl.col("amount_minor").sum()).sort("day", "currency")
    out: dict[str, Any] = {"collected_minor": {}, "contacts": {}}
    for day, cur, amount in money.iter_rows():
        out["collected_minor"].setdefault(cur, {})[day.isoformat()] = int(amount)
    for day, n in mine.group_by("day").len().sort("day").iter_rows():
        out["contacts"][day.isoformat()] = int(n)
    return out


def compute_kpis(src: KpiSource, f: KpiFilters | None = None) -> dict[str, Any]:
    f = f or KpiFilters()
    lo, hi = src.period_bounds()
    start, end = f.date_from or lo, f.date_to or hi
    t0, t1 = _instant(start), _instant(end, True)
    acc, assign = _scope(src, f, start, end)
    ids = acc["customer_id"].unique().implode()
    pays = src.payments(t0, t1).filter(pl.col("customer_id").is_in(ids))
    contacts = src.contacts(t0, t1)
    promises = src.promises(t0, t1).filter(pl.col("customer_id").is_in(ids))
    kept = promises.filter(pl.col("status") == "kept").height
    broken = promises.filter(pl.col("status") == "broken").height
    blocks = src.blocks(t0, t1).filter(pl.col("customer_id").is_in(ids))
    surveys = src.surveys(t0, t1).filter(pl.col("customer_id").is_in(ids))
    late = acc.filter(pl.col("dpd0") > 0)
    cured = late.filter((pl.col("bal1") <= 0) | (pl.col("dpd1") == 0)).height
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "filters": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(f).items()},
        "accounts": acc.height,
        "currencies": _money(acc, pays, contacts),
        "cure_rate": _rate(cured, late.height), "cured": cured, "delinquent_at_start": late.height,
        "roll_rates": _rolls(acc),
        "promises": {"kept": kept, "broken": broken, "promise_kept_rate": _rate(kept, kept + broken)},
        "contact": _contact(acc, contacts),
        "compliance_blocks": {str(k): int(v) for k, v in blocks.group_by("reason").len().sort("reason").iter_rows()},
        "arms": _arms(acc, pays),
        "csat": {"responses": surveys.height, "average": round(float(surveys["score"].mean() or 0), 2),
                 "satisfied_share": _rate(surveys.filter(pl.col("score") >= 4).height, surveys.height)},
        "daily": _daily(pays, contacts, acc),
        "segments": sorted(set(assign["segment"].drop_nulls())),
        "strategies": sorted(set(assign["strategy"].drop_nulls())),
    }


def kpis(uow: UnitOfWork, filters: KpiFilters | None = None) -> dict[str, Any]:
    """The KPIs of the database in the unit of work (read only)."""
    return compute_kpis(uow[KpiSource], filters)


def kpis_csv(k: dict[str, Any]) -> str:
    """The KPIs flattened to `metric,value` lines (the dashboard's CSV export)."""
    lines = ["metric,value"]

    def walk(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for key, sub in v.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(v, list):
            for i, sub in enumerate(v):
                walk(f"{prefix}.{sub.get('arm', i) if isinstance(sub, dict) else i}", sub)
        else:
            lines.append(f"{prefix},{'' if v is None else v}")

    walk("", k)
    return "\n".join(lines) + "\n"


_ONE_DAY = date(2000, 1, 2) - date(2000, 1, 1)
