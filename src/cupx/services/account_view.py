"""The agent's whole-account view of one debt, as of a date (issue 8: reason codes in the agent's view).

`account_view(uow, ref, as_of, now)` assembles, for the debt `ref` (CU-PX id or external id):
- the customer with decrypted contact points, flags and whether they are marked vulnerable;
- every debt of that customer with its balance breakdown, days past due and case status;
- the active model's score, risk band, version and plain-word reasons for this debt
  (`cupx.analytics.scoring.explain_debts`, the same numbers `cupx cycle explain` gives), or None with
  `model_note` saying plainly that no model is active;
- the recent contact history, the customer's promises and plans;
- the compliance guard's next allowed time for a call, a text and an email, asked with the context and
  events built exactly as the dispatcher builds them (`services.dispatch_guard`), for a compliant
  message (the disclosure due, an opt-out instruction) to the first usable contact point.

Invariants: the view reads nothing known after its instant, `view_instant(as_of, now)`: the end of
`as_of`, or `now` when that is earlier (today's view is the present). Contact history, promises and
plans created later are left out; balances and DPD are as of `as_of`. Nothing is written.
Contact points are decrypted for authorised staff only; never log this view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from cupx.domain.customer import CustomerFlag
from cupx.domain.errors import CupxError, NotFound
from cupx.services.accounts import AccountsRepository, DebtView, debt_view
from cupx.services.dispatch_guard import (
    ComplianceGuard,
    Guard,
    guard_action,
    guard_context,
    guard_events,
    is_initial_communication,
)
from cupx.services.dispatch_ports import ContactPoints, OutboxRepository
from cupx.services.dispatch_render import choose_target
from cupx.services.models import active_model
from cupx.services.payment_ports import PlanRecord, PlanStore, PromiseStore
from cupx.services.uow import UnitOfWork

__all__ = ["NO_MODEL", "AccountView", "account_view", "debt_score", "next_allowed_times", "view_instant"]

NO_MODEL = "No model is active: there is no model score or reason for this account (cupx model activate)."
RECENT_CONTACTS = 20
# channel of the view -> (dispatcher channel, guard action type)
GUARD_CHANNELS = {"call": ("call_task", "call"), "text": ("sms", "text"), "email": ("email", "email")}
_NOUN = {"call": "phone number", "text": "mobile number", "email": "email address"}


@dataclass(frozen=True, slots=True)
class AccountView:
    debt_id: int
    as_of: date
    at: datetime  # the view's instant (view_instant)
    customer: dict[str, Any]  # CustomerRecord fields plus `vulnerable`
    debts: list[dict[str, Any]]  # every debt of the customer (DebtView.to_dict), this one first
    score: dict[str, Any] | None  # score, risk_band, model_version, reasons; None without an active model
    model_note: str  # plain words about the score ("" when a model scored the account)
    contacts: list[dict[str, Any]]  # newest first: at, type, channel, outcome, debt_ids
    promises: list[dict[str, Any]]
    plans: list[dict[str, Any]]
    next_allowed: dict[str, dict[str, Any]]  # call/text/email -> at (UTC ISO or None), local, reason_codes, note

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def view_instant(as_of: date, now: datetime) -> datetime:
    """What the view may know: everything up to the end of `as_of`, and never past `now`."""
    return min(now, datetime.combine(as_of + timedelta(days=1), time(), UTC))


def debt_score(uow: UnitOfWork, debt_id: int, customer_id: int, as_of: date) -> dict[str, Any] | None:
    """The active model's score, band, version and reasons for one debt as of a date; None without a model.

    Only the customer's rows are read (`AccountsRepository.portfolio_tables`); `explain_debts` cuts them
    further to the debt, so the numbers equal those of `explain_debts` over the whole portfolio."""
    model = active_model(uow)
    if model is None:
        return None
    from cupx.analytics.scoring import explain_debts

    tables = uow[AccountsRepository].portfolio_tables(customer_id)
    rows = explain_debts(tables, as_of, model, [debt_id]).to_dicts()
    if not rows:
        return None
    row = rows[0]
    return {"score": float(row["score"]), "risk_band": row["risk_band"], "model_version": row["model_version"],
            "reasons": list(row["reasons"] or [])}


def _target(cp: ContactPoints, channel: str) -> dict[str, Any] | None:
    if channel == "call":  # a call may go to any phone not opted out and not a wrong number
        return next((p for p in cp.phones if not p["opted_out"] and not p["wrong_number"]), None)
    return choose_target(cp, GUARD_CHANNELS[channel][0], {})


def _refused(note: str, codes: Sequence[str] = ()) -> dict[str, Any]:
    return {"at": None, "local": None, "reason_codes": list(codes), "note": note}


def _ask(guard: Guard, ctx: Mapping[str, Any], evs: Sequence[Mapping[str, Any]], action: dict[str, Any],
         at: datetime) -> dict[str, Any]:
    probe = {k: v for k, v in action.items() if k not in ("at", "mail_on")}
    try:
        when = guard.next_allowed_time(ctx, evs, probe, at)
        if when is None:  # say why: the guard's codes for a contact now
            codes = list(guard.evaluate(ctx, evs, action).reason_codes)
            return _refused("not allowed in the guard's horizon: " + (", ".join(codes) or "no reason given"), codes)
    except Exception as exc:  # the view still opens; the agent sees that the guard could not answer
        return _refused(f"the guard could not answer ({type(exc).__name__})")
    return {"at": when.astimezone(UTC).isoformat(), "local": when.isoformat(), "reason_codes": [],
            "note": "allowed now" if when <= at else "allowed from this time"}


def next_allowed_times(cp: ContactPoints, debts: Sequence[Any], events: Sequence[Mapping[str, Any]],
                       debt_ids: Sequence[int], at: datetime, guard: Guard | None = None) -> dict[str, dict[str, Any]]:
    """For a call, a text and an email: the guard's first allowed instant at or after `at` in UTC and in
    the customer's zone (None, with the guard's reason codes, when nothing is allowed within its
    horizon) and a plain note; the context and events are built as the dispatcher builds them."""
    guard = guard or ComplianceGuard()
    ctx = guard_context(cp, debts, events, at)
    evs = guard_events(events, cp)
    # The question is *when*: the probe carries what a compliant collection message carries (the
    # disclosure due now, an opt-out instruction), as a rendered template or the agent's script would.
    content = {"disclosure": "initial_full" if is_initial_communication(events) else "subsequent",
               "opt_out_instruction": True, "purpose": "collection", "debt_mentioned": True}
    out: dict[str, dict[str, Any]] = {}
    for channel, (dispatch_channel, _kind) in GUARD_CHANNELS.items():
        target = _target(cp, channel)
        if target is None:
            out[channel] = _refused(f"no usable {_NOUN[channel]} on file")
            continue
        action = guard_action(dispatch_channel, at, cp.customer_id, target, debt_ids, content)
        out[channel] = _ask(guard, ctx, evs, action, at)
    return out


def _at(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _contacts(events: Sequence[Mapping[str, Any]], limit: int) -> list[dict[str, Any]]:
    # Only what an agent reads: no payload (phone/email ids, message content) leaves here.
    shown = [{"at": e["at"], "type": e.get("type"), "channel": e.get("channel"), "outcome": e.get("outcome"),
              "debt_ids": list(e.get("debt_ids") or [])} for e in events]
    return sorted(shown, key=lambda e: e["at"], reverse=True)[:limit]


def _plan(r: PlanRecord) -> dict[str, Any]:
    p = r.plan
    due = [i for i in p.instalments if i.outstanding > 0]
    return {"id": p.id, "kind": str(p.kind), "status": str(p.status), "debt_id": p.debt_id,
            "currency": p.currency, "frequency": str(p.frequency), "total_minor": p.total_minor,
            "paid_minor": p.paid_minor, "instalments": len(p.instalments),
            "next_due_on": min((i.due_on for i in due), default=None),
            "created_at": r.created_at}


def _promise(row: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("id", "debt_id", "amount_minor", "currency", "promised_on", "status", "channel", "taken_by",
            "created_at", "resolved_at", "paid_minor")
    return {k: row.get(k) for k in keys}


def _known(moment: datetime | None, at: datetime) -> bool:
    return moment is None or (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) <= at


def account_view(uow: UnitOfWork, ref: str, as_of: date, now: datetime, *, guard: Guard | None = None,
                 contacts_limit: int = RECENT_CONTACTS) -> AccountView:
    """The whole account around debt `ref` as of `as_of` (see the module docstring)."""
    at = view_instant(as_of, now)
    accounts = uow[AccountsRepository]
    debt = accounts.debt(ref)
    if debt is None:
        raise NotFound(f"no debt {ref!r}", field="id")
    customer = accounts.customer(str(debt.customer_id))
    if customer is None:
        raise NotFound(f"no customer {debt.customer_id}", field="customer_id")
    others = [d for d in accounts.debts_of(customer.id) if d.id != debt.id]
    views: list[DebtView] = [debt_view(uow, str(d.id), as_of) for d in [debt, *others]]
    try:
        score, note = debt_score(uow, debt.id, customer.id, as_of), NO_MODEL
    except CupxError as exc:  # e.g. an altered artefact: the agent still gets the account, and is told why
        score, note = None, f"The active model could not score this account: {exc}"
    outbox = uow[OutboxRepository]
    cp = outbox.contact_points([customer.id]).get(customer.id)
    events = [e for e in outbox.events([customer.id]).get(customer.id, []) if _at(e["at"]) <= at]
    facts = outbox.debts([v.id for v in views])
    debt_facts = [facts[v.id] for v in views if v.id in facts]
    next_allowed = next_allowed_times(cp, debt_facts, events, [debt.id], at, guard) if cp is not None else {}
    promises = [_promise(p) for p in uow[PromiseStore].list(customer_id=customer.id, limit=50)
                if _known(p.get("created_at"), at)]
    plans = [_plan(r) for r in uow[PlanStore].list(customer_id=customer.id, limit=50) if _known(r.created_at, at)]
    return AccountView(
        debt_id=debt.id, as_of=as_of, at=at,
        customer={**asdict(customer), "vulnerable": str(CustomerFlag.VULNERABLE) in customer.flags},
        debts=[v.to_dict() for v in views], score=score, model_note="" if score is not None else note,
        contacts=_contacts(events, contacts_limit), promises=promises, plans=plans, next_allowed=next_allowed)
