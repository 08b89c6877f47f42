"""Guard decision records (RULES.md §7.6, §1006.100; conventions C-15, C-17) and their hash chain.

Pure: builds the record of one evaluation (decision id, UTC time, action, outcome and codes, rule-set
and holiday-table versions, inputs snapshot with event hashes, candidate zones, counts, computed dates,
override) and computes `hash = sha256(prev_hash || canonical JSON of the record)`. Invariant: any change,
insertion or deletion of a stored record breaks the chain at that point; a purge leaves a checkpoint
(the last purged seq and hash) so the remaining chain still verifies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from cupx.compliance.business_calendar import HOLIDAY_TABLE_VERSION, add_years
from cupx.compliance.codes import RULESET_VERSION
from cupx.compliance.decision import Decision

__all__ = ["GENESIS", "build_record", "canonical", "chain_hash", "event_hash"]

GENESIS = "0" * 64


def canonical(obj: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces, ISO dates)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_iso, ensure_ascii=False)


def _iso(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def event_hash(event: Mapping[str, Any] | Any) -> str:
    data = event.model_dump(mode="json") if hasattr(event, "model_dump") else dict(event)
    return hashlib.sha256(canonical(data).encode()).hexdigest()


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(body)).encode()).hexdigest()


def build_record(
    decision_id: str,
    at: datetime,
    action: Mapping[str, Any],
    decision: Decision,
    events: Iterable[Mapping[str, Any] | Any] = (),
    *,
    customer_id: int | None = None,
    override: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The §7.6 record body (without chain fields)."""
    debt_ids = [str(d) for d in (action.get("debt_ids") or [])]
    return {
        "decision_id": decision_id,
        "at": at.isoformat(),
        "customer_id": customer_id,
        "action": {k: v for k, v in action.items()},
        "action_type": str(action.get("type", "")),
        "debt_ids": debt_ids,
        "outcome": decision.decision,
        "reason_codes": list(decision.reason_codes),
        "advisory_flags": list(decision.advisory_flags),
        "ruleset_version": RULESET_VERSION,
        "holiday_table_version": HOLIDAY_TABLE_VERSION,
        "inputs": {"event_hashes": [event_hash(e) for e in events],
                   "candidate_time_zones": decision.computed.get("candidate_time_zones", [])},
        "computed": decision.to_dict()["computed"],
        "override": dict(override) if override else None,
        "retain_until": add_years(at.date(), 3).isoformat(),
    }
