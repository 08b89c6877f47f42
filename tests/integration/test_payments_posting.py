"""post_payment / reverse_payment on both databases: ledger, allocation, cases, outbox, idempotency."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from payments_factories import NOW, count, debt_status, ledger_total, make_customer, make_debt
from sqlalchemy import insert, select

from cupx.adapters.tables.core import case_status_changes, ledger_entries, outbox_messages
from cupx.adapters.tables.payments import arrangement_events, payments
from cupx.bootstrap import Runtime
from cupx.domain.errors import Conflict, NotFound, ValidationError
from cupx.services.payments import PostPayment, ReversePayment, post_payment, reverse_payment


def _pay(runtime: Runtime, key: str, amount: int, **kw: object) -> object:
    with runtime.uow() as uow:
        return post_payment(uow, PostPayment(amount_minor=amount, currency=kw.pop("currency", "USD"),  # type: ignore[arg-type]
                                             received_at=NOW, idempotency_key=key, now=NOW, **kw))  # type: ignore[arg-type]


def _pending_message(runtime: Runtime, customer_id: int, debt_ids: list[int], key: str) -> int:
    with runtime.engine.begin() as conn:
        return int(conn.execute(insert(outbox_messages).values(
            message_key=key, customer_id=customer_id, debt_ids=json.dumps(debt_ids), channel="sms",
            template_id="reminder", scheduled_at=NOW + timedelta(hours=2), status="pending", source="cycle",
            created_at=NOW)).inserted_primary_key[0])


def test_payment_in_full_posts_entries_resolves_cancels_and_confirms(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    d1 = make_debt(runtime, cid, 3_000, opened_on=NOW.date() - timedelta(days=400))
    d2 = make_debt(runtime, cid, 5_000, opened_on=NOW.date() - timedelta(days=30))
    stale = _pending_message(runtime, cid, [d1], "cycle:x:1")
    live = _pending_message(runtime, cid, [d2], "cycle:x:2")

    result = _pay(runtime, "k1", 4_000, customer_id=cid)

    assert result.allocation == {d1: 3_000, d2: 1_000}  # type: ignore[attr-defined]
    assert result.resolved_debt_ids == [d1]  # type: ignore[attr-defined]
    assert ledger_total(runtime, d1) == 0 and ledger_total(runtime, d2) == 4_000
    assert debt_status(runtime, d1) == "resolved_paid" and debt_status(runtime, d2) == "delinquent"
    with runtime.engine.connect() as conn:
        statuses = dict(conn.execute(select(outbox_messages.c.id, outbox_messages.c.status)).all())
        confirmation = conn.execute(select(outbox_messages).where(outbox_messages.c.source == "payment")).one()
    assert statuses[stale] == "cancelled" and statuses[live] == "pending"
    assert confirmation.template_id == "payment_confirmation" and confirmation.channel == "email"
    assert count(runtime, case_status_changes, case_status_changes.c.debt_id == d1) == 1
    assert count(runtime, arrangement_events, arrangement_events.c.event_type == "PaymentPosted") == 1


def test_overpayment_is_held_as_credit_and_no_debt_is_overpaid(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    d1 = make_debt(runtime, cid, 1_000)
    result = _pay(runtime, "k-over", 1_500, debt_id=d1)
    assert result.allocation == {d1: 1_000} and result.credit_minor == 500  # type: ignore[attr-defined]
    assert ledger_total(runtime, d1) == 0


def test_same_key_replays_and_other_body_conflicts(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    d1 = make_debt(runtime, cid, 10_000)
    first = _pay(runtime, "k-same", 2_500, debt_id=d1)
    again = _pay(runtime, "k-same", 2_500, debt_id=d1)
    assert again.replayed and again.payment_id == first.payment_id  # type: ignore[attr-defined]
    assert count(runtime, payments) == 1 and ledger_total(runtime, d1) == 7_500
    with pytest.raises(Conflict):
        _pay(runtime, "k-same", 2_600, debt_id=d1)


@pytest.mark.parametrize(("kw", "field"), [
    ({"amount": -5}, "amount_minor"),
    ({"currency": "EUR"}, "currency"),
    ({"currency": "XXY"}, "currency"),
])
def test_bad_input_writes_nothing(runtime: Runtime, kw: dict[str, object], field: str) -> None:
    cid = make_customer(runtime)
    d1 = make_debt(runtime, cid, 10_000)
    kw = dict(kw)
    amount = int(kw.pop("amount", 1_000))  # type: ignore[call-overload]
    with pytest.raises(ValidationError) as err:
        _pay(runtime, "k-bad", amount, debt_id=d1, **kw)
    assert err.value.field == field
    assert count(runtime, payments) == 0 and count(runtime, ledger_entries) == 1


def test_unknown_debt_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFound):
        _pay(runtime, "k-nf", 1_000, debt_id=999_999)


def test_disputed_debt_is_skipped_on_a_multi_debt_payment(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    disputed = make_debt(runtime, cid, 2_000, status="disputed", opened_on=NOW.date() - timedelta(days=900))
    other = make_debt(runtime, cid, 2_000)
    result = _pay(runtime, "k-disp", 3_000, customer_id=cid)
    assert result.allocation == {other: 2_000} and result.credit_minor == 1_000  # type: ignore[attr-defined]
    assert ledger_total(runtime, disputed) == 2_000


def test_reversal_reopens_and_restores_balance(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    d1 = make_debt(runtime, cid, 2_000)
    paid = _pay(runtime, "k-rev", 2_000, debt_id=d1)
    assert debt_status(runtime, d1) == "resolved_paid"
    with runtime.uow() as uow:
        rev = reverse_payment(uow, ReversePayment(paid.payment_id, "NSF", kind="chargeback", now=NOW))  # type: ignore[attr-defined]
    assert rev.reopened_debt_ids == [d1]
    assert ledger_total(runtime, d1) == 2_000 and debt_status(runtime, d1) == "delinquent"
    with runtime.uow() as uow, pytest.raises(Exception, match="already reversed"):
        reverse_payment(uow, ReversePayment(paid.payment_id, "again", now=NOW))  # type: ignore[attr-defined]
