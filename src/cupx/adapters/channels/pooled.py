"""Senders that send a chunk on several threads, each thread keeping its own provider connection.

A provider answers each request after a round trip, so a few requests in flight hide the latency.
`send_many` keeps the results in the order of the messages; a message's SendError is its result.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from cupx.services.dispatch_ports import ChannelSender, OutgoingMessage, SendError

__all__ = ["PooledSender"]


class PooledSender(ChannelSender):
    _pool: ThreadPoolExecutor | None = None

    def _send_pooled(self, messages: Sequence[OutgoingMessage], workers: int,
                     thread_name: str) -> list[str | SendError]:
        if workers == 1 or len(messages) < 2:
            return super().send_many(messages)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix=thread_name)
        return list(self._pool.map(self._one, messages))

    def _one(self, m: OutgoingMessage) -> str | SendError:
        try:
            return self.send(m)
        except SendError as exc:
            return exc

    def _stop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
