"""`TokenCache` without a database: time-to-live, the credentials epoch, and its size bound."""

from __future__ import annotations

from cupx.domain.staff import Role
from cupx.services import staff
from cupx.services.staff import Principal, TokenCache, credentials_epoch

ALICE = Principal(1, "alice", Role.AGENT)


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_for_the_ttl() -> None:
    clock = Clock()
    cache = TokenCache(ttl_s=5.0, clock=clock)
    assert cache.get("h") is None
    cache.put("h", ALICE, credentials_epoch())
    clock.now += 4.9
    assert cache.get("h") == ALICE
    clock.now += 0.1
    assert cache.get("h") is None
    clock.now -= 1.0  # an expired entry is dropped, not revived
    assert cache.get("h") is None


def test_a_credentials_change_voids_every_entry_and_any_look_up_in_flight() -> None:
    cache = TokenCache(clock=Clock())
    cache.put("h", ALICE, credentials_epoch())
    in_flight = credentials_epoch()  # a look-up started before the change...
    staff._credentials_changed()
    assert cache.get("h") is None
    cache.put("h2", ALICE, in_flight)  # ...must not be cached after it
    assert cache.get("h2") is None
    cache.put("h2", ALICE, credentials_epoch())
    assert cache.get("h2") == ALICE


def test_the_cache_is_bounded() -> None:
    cache = TokenCache(clock=Clock(), max_entries=3)
    for i in range(10):
        cache.put(f"h{i}", ALICE, credentials_epoch())
        assert len(cache._entries) <= 3
    assert cache.get("h9") == ALICE
