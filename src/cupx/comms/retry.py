"""Retry delays and rate limits, as arithmetic over instants passed in (no clock, no sleeping here).

- `backoff_delay(attempt, base, cap, rand)`: exponential backoff with full jitter
  (delay = rand * min(cap, base * 2**(attempt-1))), so many dispatchers retrying after one outage do
  not all come back at the same instant. `rand` is a number in [0, 1) from the caller.
- `TokenBucket`: a per-channel rate limit; `take(now)` returns how long to wait before the next send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

__all__ = ["TokenBucket", "backoff_delay"]


def backoff_delay(attempt: int, *, base_s: float = 30.0, cap_s: float = 3600.0, rand: float = 1.0) -> timedelta:
    """Delay before retry number `attempt` (1 = first retry); never below one second."""
    ceiling = min(cap_s, base_s * (2 ** max(0, attempt - 1)))
    return timedelta(seconds=max(1.0, ceiling * min(max(rand, 0.0), 1.0)))


@dataclass
class TokenBucket:
    """At most `rate` sends per second on average, bursts up to `burst`; `rate <= 0` means unlimited."""

    rate: float
    burst: float = 0.0
    _tokens: float = field(default=0.0, init=False)
    _last: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.burst = self.burst or max(1.0, self.rate)
        self._tokens = self.burst

    def take(self, now_s: float) -> float:
        """Consume one token at monotonic second `now_s`; return seconds to wait first (0 if none)."""
        if self.rate <= 0:
            return 0.0
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (now_s - self._last) * self.rate)
        self._last = now_s
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.rate
