"""Bearer tokens are cached per app for `TOKEN_CACHE_TTL_S` seconds: a revocation or a disabled user made
in this process is refused at once, one made by another process (the CLI, another server worker) within
the TTL, and a cached token costs no database look-up."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from cupx.adapters.repositories.staff import SqlStaffRepository
from cupx.bootstrap import Runtime
from cupx.domain.staff import Permission, Role
from cupx.entrypoints.api.security import Principal, require
from cupx.services.staff import TOKEN_CACHE_TTL_S, StaffRepository, TokenCache, revoke_token, set_user_active


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: FastAPI) -> FakeClock:
    """The app's token cache on a clock the test moves, plus a probe route."""
    fake = FakeClock()
    app.state.token_cache = TokenCache(clock=fake)

    @app.get("/api/v1/_cache_probe")
    def probe(p: Principal = Depends(require(Permission.DEBTS_READ))) -> dict[str, str]:
        return {"username": p.username}

    return fake


def _token_id(runtime: Runtime, username: str) -> int:
    with runtime.uow() as uow:
        user = uow[StaffRepository].get_user_by_username(username)
        assert user is not None
        return uow[StaffRepository].list_tokens(user.id)[0].id


def test_revocation_by_another_process_takes_effect_within_the_ttl(
        clock: FakeClock, runtime: Runtime, client_for: Callable[..., TestClient]) -> None:
    client = client_for(Role.AGENT)
    assert client.get("/api/v1/_cache_probe").status_code == 200
    with runtime.uow() as uow:  # what `cupx token revoke` does in its own process: no in-process signal here
        assert uow[StaffRepository].revoke_token(_token_id(runtime, client.username))  # type: ignore[attr-defined]
        uow.commit()
    clock.now += TOKEN_CACHE_TTL_S - 0.5
    assert client.get("/api/v1/_cache_probe").status_code == 200  # still cached: the documented bound
    clock.now += 0.5
    resp = client.get("/api/v1/_cache_probe")
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "authentication_failed"


def test_user_disabled_by_another_process_is_refused_within_the_ttl(
        clock: FakeClock, runtime: Runtime, client_for: Callable[..., TestClient]) -> None:
    client = client_for(Role.AGENT)
    assert client.get("/api/v1/_cache_probe").status_code == 200
    with runtime.uow() as uow:
        user = uow[StaffRepository].get_user_by_username(client.username)  # type: ignore[attr-defined]
        assert user is not None
        uow[StaffRepository].set_active(user.id, False)
        uow.commit()
    clock.now += TOKEN_CACHE_TTL_S
    assert client.get("/api/v1/_cache_probe").status_code == 401


def test_revocation_in_this_process_is_immediate_even_when_cached(
        clock: FakeClock, runtime: Runtime, client_for: Callable[..., TestClient]) -> None:
    revoked, disabled, bystander = client_for(Role.AGENT), client_for(Role.AGENT), client_for(Role.AGENT)
    for client in (revoked, disabled, bystander):
        assert client.get("/api/v1/_cache_probe").status_code == 200
    with runtime.uow() as uow:
        revoke_token(uow, _token_id(runtime, revoked.username))  # type: ignore[attr-defined]
    assert revoked.get("/api/v1/_cache_probe").status_code == 401
    with runtime.uow() as uow:
        set_user_active(uow, disabled.username, False)  # type: ignore[attr-defined]
    assert disabled.get("/api/v1/_cache_probe").status_code == 401
    assert bystander.get("/api/v1/_cache_probe").status_code == 200


def test_a_cached_token_costs_no_database_look_up(
        clock: FakeClock, client_for: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for(Role.AGENT)
    calls: list[str] = []
    original = SqlStaffRepository.find_token

    def counting(self: SqlStaffRepository, token_hash: str) -> object:
        calls.append(token_hash)
        return original(self, token_hash)

    monkeypatch.setattr(SqlStaffRepository, "find_token", counting)
    for _ in range(3):
        assert client.get("/api/v1/_cache_probe").status_code == 200
    assert len(calls) == 1
    clock.now += TOKEN_CACHE_TTL_S
    assert client.get("/api/v1/_cache_probe").status_code == 200
    assert len(calls) == 2


def test_unknown_tokens_are_never_cached(clock: FakeClock, anon_client: TestClient) -> None:
    for _ in range(2):
        resp = anon_client.get("/api/v1/_cache_probe", headers={"Authorization": "Bearer cupx_unknown"})
        assert resp.status_code == 401
