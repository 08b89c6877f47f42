"""The compliance guard (RULES.md): one contact governor for every channel.

`evaluate(context, events, action) -> Decision` is the single-account form (contract C2);
`next_allowed_time` answers when the next call, text or email may go out; `batch.evaluate_batch` is the
columnar form used by the nightly cycle (contract C3); `timezones.candidate_zones` (contract C1).
Pure package: no SQLAlchemy, no `os`, never reads the clock (`at`/`after` are inputs).
"""

from cupx.compliance.decision import Decision
from cupx.compliance.guard import evaluate
from cupx.compliance.schedule import next_allowed_time

__all__ = ["Decision", "evaluate", "next_allowed_time"]
