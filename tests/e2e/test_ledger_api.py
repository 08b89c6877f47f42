"""POST /api/v1/ledger and the read endpoints over HTTP: idempotent posting, 409 on key reuse with
another body, validation errors naming the field, and balances derived from the ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cupx.domain.staff import Role

Factory = Callable[..., dict[str, Any]]


@pytest.fixture
def manager(client_for: Callable[..., TestClient]) -> TestClient:
    return client_for(Role.MANAGER)


def payment(debt_id: int | str, amount: int = 2_500, **extra: Any) -> dict[str, Any]:
    return {"debt_id": debt_id, "kind": "payment", "amount_minor": amount, "currency": "USD",
            "effective_date": "2026-01-10", **extra}


def test_same_key_same_body_posts_once_and_replays(manager: TestClient, make_debt: Factory) -> None:
    debt = make_debt()
    headers = {"Idempotency-Key": "pay-1"}
    first = manager.post("/api/v1/ledger", json=payment(debt["debt_id"]), headers=headers)
    assert first.status_code == 201, first.text
    again = manager.post("/api/v1/ledger", json=payment(debt["debt_id"]), headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    ledger = manager.get(f"/api/v1/debts/{debt['debt_id']}/ledger").json()
    assert [e["kind"] for e in ledger] == ["charge", "payment"]
    view = manager.get(f"/api/v1/debts/{debt['debt_id']}", params={"as_of": "2026-01-31"}).json()
    assert view["balance_minor"] == 97_500


def test_same_key_other_body_is_409(manager: TestClient, make_debt: Factory) -> None:
    debt = make_debt()
    headers = {"Idempotency-Key": "pay-2"}
    assert manager.post("/api/v1/ledger", json=payment(debt["debt_id"]), headers=headers).status_code == 201
    resp = manager.post("/api/v1/ledger", json=payment(debt["debt_id"], amount=2_600), headers=headers)
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "conflict"
    assert resp.json()["error"]["field"] == "Idempotency-Key"
    assert len(manager.get(f"/api/v1/debts/{debt['debt_id']}/ledger").json()) == 2


def test_refused_request_is_not_recorded_under_its_key(manager: TestClient, make_debt: Factory) -> None:
    debt = make_debt()
    headers = {"Idempotency-Key": "pay-3"}
    bad = manager.post("/api/v1/ledger", json=payment(debt["debt_id"], currency="EUR"), headers=headers)
    assert bad.status_code == 422
    fixed = manager.post("/api/v1/ledger", json=payment(debt["debt_id"]), headers=headers)
    assert fixed.status_code == 201


def test_without_key_each_post_is_new(manager: TestClient, make_debt: Factory) -> None:
    debt = make_debt()
    for _ in range(2):
        assert manager.post("/api/v1/ledger", json=payment(debt["debt_id"])).status_code == 201
    assert len(manager.get(f"/api/v1/debts/{debt['debt_id']}/ledger").json()) == 3


BAD_ENTRIES: list[tuple[dict[str, Any], str, str]] = [
    ({"amount_minor": -100}, "amount_minor", "validation_error"),
    ({"amount_minor": 0}, "amount_minor", "validation_error"),
    ({"amount_minor": 10.5}, "amount_minor", "validation_error"),
    ({"amount_minor": "100"}, "amount_minor", "validation_error"),
    ({"currency": "EUR"}, "currency", "currency_mismatch"),
    ({"currency": "usd"}, "currency", "validation_error"),
    ({"debt_id": 987654}, "debt_id", "validation_error"),
    ({"kind": "gift"}, "kind", "validation_error"),
    ({"kind": "adjustment"}, "component", "validation_error"),
    ({"component": "fees"}, "component", "validation_error"),
    ({"reverses_id": 1}, "reverses_id", "validation_error"),
    ({"surprise": 1}, "surprise", "validation_error"),
]


def test_validation_errors_name_the_field(manager: TestClient, make_debt: Factory) -> None:
    # One debt and one user for all cases: each case is refused, so none changes what the next sees.
    debt = make_debt()
    wrong = []
    for change, field, code in BAD_ENTRIES:
        resp = manager.post("/api/v1/ledger", json={**payment(debt["debt_id"]), **change})
        error = resp.json().get("error", {})
        if resp.status_code != 422 or (error.get("code"), error.get("field")) != (code, field) or not error["message"]:
            wrong.append(f"{change}: {resp.status_code} {resp.text}")
    assert not wrong, "\n".join(wrong)
    assert len(manager.get(f"/api/v1/debts/{debt['debt_id']}/ledger").json()) == 1


def test_missing_field_is_named(manager: TestClient) -> None:
    resp = manager.post("/api/v1/ledger", json={"kind": "payment", "amount_minor": 5, "currency": "USD"})
    assert resp.status_code == 422
    assert resp.json()["error"]["field"] == "debt_id"


def test_reversal_rules(manager: TestClient, make_debt: Factory) -> None:
    debt, other = make_debt(), make_debt()
    paid = manager.post("/api/v1/ledger", json=payment(debt["debt_id"])).json()

    def reverse(target: int, **extra: Any) -> Any:
        return manager.post("/api/v1/ledger", json={"debt_id": debt["debt_id"], "kind": "reversal", "currency": "USD",
                                                    "reverses_id": target, "effective_date": "2026-01-12", **extra})

    def field_of(resp: Any) -> str:
        assert resp.status_code == 422, resp.text
        return str(resp.json()["error"]["field"])

    assert field_of(reverse(999_999)) == "reverses_id"  # unknown entry
    assert field_of(reverse(other["entry_ids"][0])) == "reverses_id"  # another debt's entry
    assert field_of(reverse(paid["id"], amount_minor=1)) == "amount_minor"  # partial reversal
    assert field_of(reverse(paid["id"], effective_date="2026-01-05")) == "effective_date"  # before its target
    assert field_of(manager.post("/api/v1/ledger", json={"debt_id": debt["debt_id"], "kind": "reversal",
                                                         "currency": "USD"})) == "reverses_id"  # no target
    done = reverse(paid["id"])
    assert done.status_code == 201, done.text
    assert done.json()["amount_minor"] == 2_500
    assert field_of(reverse(paid["id"])) == "reverses_id"  # already reversed
    assert field_of(reverse(done.json()["id"])) == "reverses_id"  # a reversal of a reversal
    view = manager.get(f"/api/v1/debts/{debt['debt_id']}", params={"as_of": "2026-01-31"}).json()
    assert view["balance_minor"] == 100_000
    ledger = manager.get(f"/api/v1/debts/{debt['debt_id']}/ledger").json()
    assert ledger[1]["reversed_by"] == done.json()["id"]


def test_adjustment_is_signed(manager: TestClient, make_debt: Factory) -> None:
    debt = make_debt()
    resp = manager.post("/api/v1/ledger", json=payment(debt["debt_id"], kind="adjustment", amount_minor=-1_000,
                                                       component="principal"))
    assert resp.status_code == 201, resp.text
    view = manager.get(f"/api/v1/debts/{debt['debt_id']}", params={"as_of": "2026-01-31"}).json()
    assert view["breakdown"]["principal"] == 99_000


def test_debt_view_breakdown_dpd_and_status(manager: TestClient, make_debt: Factory) -> None:
    debt = make_debt(amount_minor=90_000, due=[("2026-02-01", 30_000), ("2026-03-01", 30_000), ("2026-04-01", 30_000)],
                     charges=[("charge", 90_000, "2026-01-01"), ("fee", 2_000, "2026-01-15"),
                              ("interest", 1_000, "2026-01-20"), ("payment", 33_000, "2026-02-10")])
    view = manager.get(f"/api/v1/debts/{debt['debt_external_id']}", params={"as_of": "2026-03-11"})
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["id"] == debt["debt_id"] and body["external_id"] == debt["debt_external_id"]
    assert body["currency"] == "USD" and body["status"] == "delinquent"
    # payment: fees 2,000 then interest 1,000 then principal 30,000
    assert body["breakdown"] == {"principal": 60_000, "interest": 0, "fees": 0, "credit": 0}
    assert body["balance_minor"] == 60_000
    # 33,000 paid covers the February instalment; March's is 10 days late
    assert body["days_past_due"] == 10
    assert body["oldest_unpaid_due_on"] == "2026-03-01"
    early = manager.get(f"/api/v1/debts/{debt['debt_id']}", params={"as_of": "2026-01-16"}).json()
    assert early["balance_minor"] == 92_000 and early["days_past_due"] == 0


def test_unknown_debt_and_customer_are_404(manager: TestClient) -> None:
    for path in ("/api/v1/debts/nope", "/api/v1/debts/nope/ledger", "/api/v1/customers/nope"):
        resp = manager.get(path)
        assert resp.status_code == 404
        assert resp.json()["error"]["code"] == "not_found"


def test_customer_view_and_lookup(manager: TestClient, make_debt: Factory) -> None:
    first = make_debt(phone="+13125550123", email="Ada@Example.com", name="Ada Lovelace")
    make_debt(customer_id=first["customer_id"], currency="USD", amount_minor=5_000)
    make_debt(phone="+14155550100")
    view = manager.get(f"/api/v1/customers/{first['customer_external_id']}", params={"as_of": "2026-01-31"}).json()
    assert view["name"] == "Ada Lovelace"
    assert view["phones"][0]["number"] == "+13125550123"
    assert view["emails"][0]["address"] == "Ada@Example.com"
    assert [d["balance_minor"] for d in view["debts"]] == [100_000, 5_000]

    found = manager.get("/api/v1/customers", params={"phone": "(312) 555-0123"}).json()
    assert [c["id"] for c in found["items"]] == [first["customer_id"]]
    found = manager.get("/api/v1/customers", params={"email": "ada@example.COM"}).json()
    assert [c["id"] for c in found["items"]] == [first["customer_id"]]
    assert manager.get("/api/v1/customers", params={"email": "nobody@example.com"}).json()["items"] == []
    bad = manager.get("/api/v1/customers", params={"phone": "12"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "phone"


def test_customer_list_pages(manager: TestClient, make_debt: Factory) -> None:
    ids = [make_debt()["customer_id"] for _ in range(3)]
    page = manager.get("/api/v1/customers", params={"limit": 2}).json()
    assert [c["id"] for c in page["items"]] == ids[:2]
    rest = manager.get("/api/v1/customers", params={"limit": 2, "after_id": page["next_after"]}).json()
    assert [c["id"] for c in rest["items"]] == ids[2:] and rest["next_after"] is None
    assert manager.get("/api/v1/customers", params={"limit": 0}).json()["error"]["field"] == "limit"


def test_openapi_lists_the_endpoints(anon_client: TestClient) -> None:
    paths = anon_client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/ledger", "/api/v1/debts/{debt_id}", "/api/v1/debts/{debt_id}/ledger",
            "/api/v1/customers", "/api/v1/customers/{customer_id}"} <= set(paths)


def test_concurrent_retries_with_one_key_post_once(app: Any, manager: TestClient, make_debt: Factory) -> None:
    from concurrent.futures import ThreadPoolExecutor

    debt = make_debt()
    headers = {"Authorization": manager.headers["Authorization"], "Idempotency-Key": "race-1"}

    def post(_: int) -> Any:
        with TestClient(app) as client:
            return client.post("/api/v1/ledger", json=payment(debt["debt_id"]), headers=headers)

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(post, range(4)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(manager.get(f"/api/v1/debts/{debt['debt_id']}/ledger").json()) == 2


def test_unknown_path_and_wrong_method_answer_in_the_error_shape(manager: TestClient) -> None:
    missing = manager.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = manager.delete("/api/v1/ledger")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
