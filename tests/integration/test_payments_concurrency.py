"""Concurrency and the ledger property: many payments at once for one customer leave exact balances;
after any sequence of postings and reversals each balance equals the sum of its entries."""

from __future__ import annotations

import threading
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payments_factories import NOW, ledger_total, make_customer, make_debt
from sqlalchemy import func, select

from cupx.adapters.tables.payments import payments
from cupx.bootstrap import Runtime
from cupx.services.payment_ports import CaseStore
from cupx.services.payments import PostPayment, ReversePayment, post_payment, reverse_payment


def test_100_concurrent_payments_for_one_customer_leave_exact_balances(runtime: Runtime) -> None:
    cid = make_customer(runtime)
    small = make_debt(runtime, cid, 5_000)
    large = make_debt(runtime, cid, 1_000_000)
    errors: list[BaseException] = []
    start = threading.Barrier(100)

    def pay(worker: int) -> None:
        try:
            start.wait()  # 100 threads released at once, each posting through its own pooled connection
            with runtime.uow() as uow:
                post_payment(uow, PostPayment(amount_minor=300 + worker, currency="USD", received_at=NOW,
                                              idempotency_key=f"c-{worker}", customer_id=cid, now=NOW))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=pay, args=(w,)) for w in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    paid = sum(300 + w for w in range(100))
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(payments)).scalar() == 100
    # The small debt (oldest) fills first and is never overpaid; the rest lands on the large one.
    assert ledger_total(runtime, small) == 0
    assert ledger_total(runtime, large) == 1_000_000 - (paid - 5_000)
    with runtime.uow() as uow:
        assert uow[CaseStore].balances([small, large]) == {small: 0, large: 1_000_000 - (paid - 5_000)}


actions = st.lists(st.one_of(st.tuples(st.just("pay"), st.integers(1, 4_000)),
                             st.tuples(st.just("reverse"), st.integers(0, 30))), min_size=1, max_size=12)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_balance_equals_sum_of_entries_after_postings_and_reversals(runtime: Runtime,
                                                                    steps: list[tuple[str, int]]) -> None:
    cid = make_customer(runtime)
    debt_a = make_debt(runtime, cid, 3_000)
    debt_b = make_debt(runtime, cid, 4_000)
    posted: list[int] = []
    for kind, value in steps:
        with runtime.uow() as uow:
            if kind == "pay":
                result = post_payment(uow, PostPayment(amount_minor=value, currency="USD", received_at=NOW,
                                                       idempotency_key=uuid.uuid4().hex, customer_id=cid, now=NOW))
                posted.append(result.payment_id)
            elif posted:
                reverse_payment(uow, ReversePayment(posted.pop(value % len(posted)), "returned", now=NOW))
    with runtime.uow() as uow:
        balances = uow[CaseStore].balances([debt_a, debt_b])
    assert balances == {debt_a: ledger_total(runtime, debt_a), debt_b: ledger_total(runtime, debt_b)}
    assert all(b >= 0 for b in balances.values())  # never overpaid
    with runtime.engine.connect() as conn:
        live = conn.execute(select(func.coalesce(func.sum(payments.c.amount_minor - payments.c.credit_minor), 0))
                            .where(payments.c.customer_id == cid, payments.c.status == "posted")).scalar()
    assert 7_000 - sum(balances.values()) == live
