"""The agent's account view (`cupx.services.account_view`) on the test databases: what it shows of the
customer and their debts, that it reads nothing after its instant (the end of `as_of`), the guard's next
allowed times (Reg F inconvenient hours), and the plain "no model" note."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime

from sqlalchemy import insert

from cupx.adapters.tables.core import contact_events, customer_emails, customer_phones, customers, debts, ledger_entries
from cupx.bootstrap import Runtime
from cupx.domain.plans import Frequency
from cupx.services.account_view import NO_MODEL, account_view, view_instant
from cupx.services.plans import CreatePlan, create_plan
from cupx.services.promises import MakePromise, make_promise

NOW = datetime(2026, 6, 2, 7, 0, tzinfo=UTC)  # 03:00 in New York: too early to call under Reg F
_serial = itertools.count(1)


def _customer(runtime: Runtime, *, flags: str = "vulnerable", email_opted_out: bool = True) -> int:
    n, c = next(_serial), runtime.cipher
    with runtime.engine.begin() as conn:
        cid = int(conn.execute(insert(customers).values(
            external_id=f"AV-{n}", name_enc=c.encrypt("Ada Lovelace"), flags=flags, tz_candidates="America/New_York",
            row_hash="x", created_at=NOW, updated_at=NOW)).inserted_primary_key[0])
        conn.execute(insert(customer_phones).values(
            customer_id=cid, number_enc=c.encrypt("+12125550147"), number_hash=c.lookup_hash("+12125550147"),
            area_code="212", type="mobile"))
        mail = f"ada{n}@example.org"
        conn.execute(insert(customer_emails).values(customer_id=cid, address_enc=c.encrypt(mail),
                                                    address_hash=c.lookup_hash(mail), opted_out=email_opted_out,
                                                    provenance="consumer_used"))  # Reg F email procedure
    return cid


def _debt(runtime: Runtime, customer_id: int, minor: int, due_on: str = "2026-04-01") -> int:
    n = next(_serial)
    with runtime.engine.begin() as conn:
        did = int(conn.execute(insert(debts).values(
            external_id=f"AVD-{n}", customer_id=customer_id, creditor="Acme Bank", product="credit_card",
            currency="USD", original_minor=minor, due_schedule=json.dumps([[due_on, minor]]), status="delinquent",
            opened_on=date(2025, 1, 1), row_hash="x", created_at=NOW, updated_at=NOW)).inserted_primary_key[0])
        conn.execute(insert(ledger_entries).values(debt_id=did, kind="charge", amount_minor=minor, currency="USD",
                                                   effective_date=date(2026, 1, 1), posted_at=NOW, source="import"))
    return did


def _event(runtime: Runtime, customer_id: int, debt_id: int, at: datetime, type_: str = "call_placed") -> None:
    with runtime.engine.begin() as conn:
        conn.execute(insert(contact_events).values(
            customer_id=customer_id, debt_id=debt_id, debt_ids=json.dumps([debt_id]), type=type_, channel="call",
            at=at, outcome="no_answer"))


def test_view_shows_the_whole_account_and_plain_no_model_note(runtime: Runtime) -> None:
    cid = _customer(runtime)
    main, other = _debt(runtime, cid, 80_000), _debt(runtime, cid, 12_345)
    _event(runtime, cid, main, datetime(2026, 5, 20, 15, tzinfo=UTC))
    with runtime.uow() as uow:
        make_promise(uow, MakePromise(cid, 5_000, "USD", date(2026, 6, 10), debt_id=main, taken_by="agent7",
                                      now=datetime(2026, 5, 20, 15, 5, tzinfo=UTC)))
    with runtime.uow() as uow:
        create_plan(uow, CreatePlan(cid, None, "USD", Frequency.MONTHLY, 3, date(2026, 6, 15), debt_id=other,
                                    now=datetime(2026, 5, 21, 10, tzinfo=UTC)))
    with runtime.uow() as uow:
        view = account_view(uow, str(main), NOW.date(), NOW).to_dict()
    assert view["customer"]["name"] == "Ada Lovelace" and view["customer"]["vulnerable"] is True
    assert view["customer"]["phones"][0]["number"] == "+12125550147"
    assert [d["id"] for d in view["debts"]] == [main, other]  # this debt first, then the customer's others
    assert [d["balance_minor"] for d in view["debts"]] == [80_000, 12_345]
    assert view["debts"][0]["days_past_due"] == (NOW.date() - date(2026, 4, 1)).days
    assert view["score"] is None and view["model_note"] == NO_MODEL
    assert [(c["type"], c["outcome"]) for c in view["contacts"]] == [("call_placed", "no_answer")]
    assert [(p["amount_minor"], p["status"], p["taken_by"]) for p in view["promises"]] == [(5_000, "pending", "agent7")]
    [plan] = view["plans"]
    assert (plan["debt_id"], plan["status"], plan["total_minor"], plan["instalments"], plan["next_due_on"]) == \
        (other, "active", 12_345, 3, date(2026, 6, 15))
    # 03:00 in New York: the guard first allows a call at 08:00 local (12:00 UTC in June); the only email
    # address is opted out.
    call, text = view["next_allowed"]["call"], view["next_allowed"]["text"]
    assert (call["at"], call["local"]) == ("2026-06-02T12:00:00+00:00", "2026-06-02T08:00:00-04:00")
    assert text["at"] is None and "TCPA_NO_CONSENT" in text["reason_codes"]  # no consent to text this mobile
    assert view["next_allowed"]["email"]["note"] == "no usable email address on file"
    assert set(view["next_allowed"]) == {"call", "text", "email"}


def test_view_as_of_an_earlier_day_ignores_what_came_after(runtime: Runtime) -> None:
    cid = _customer(runtime, flags="", email_opted_out=False)
    main = _debt(runtime, cid, 50_000)
    _event(runtime, cid, main, datetime(2026, 5, 1, 14, tzinfo=UTC))
    _event(runtime, cid, main, datetime(2026, 5, 3, 14, tzinfo=UTC))  # after the end of May 2
    with runtime.uow() as uow:
        make_promise(uow, MakePromise(cid, 1_000, "USD", date(2026, 5, 20), debt_id=main,
                                      now=datetime(2026, 5, 3, 9, tzinfo=UTC)))
        create_plan(uow, CreatePlan(cid, None, "USD", Frequency.MONTHLY, 2, date(2026, 5, 20), debt_id=main,
                                    now=datetime(2026, 5, 3, 9, tzinfo=UTC)))
    as_of = date(2026, 5, 2)
    assert view_instant(as_of, NOW) == datetime(2026, 5, 3, tzinfo=UTC)
    assert view_instant(NOW.date(), NOW) == NOW
    with runtime.uow() as uow:
        view = account_view(uow, str(main), as_of, NOW).to_dict()
    assert [c["at"][:10] for c in view["contacts"]] == ["2026-05-01"]
    assert view["promises"] == [] and view["plans"] == [] and view["customer"]["vulnerable"] is False
    assert view["debts"][0]["as_of"] == as_of
    email = view["next_allowed"]["email"]
    assert email["at"] is not None and email["reason_codes"] == []  # an email may go out from the view's instant
