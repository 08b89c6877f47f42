"""A plain per-account Python evaluator of a strategy: the reference the compiled Polars plan must equal.

It is written straight from the rules in `cupx.strategy.compiler`'s docstring, one debt at a time,
with no Polars, so a disagreement points at a compiler bug (or an unclear rule). The benchmark also
times it to show what a per-row rules engine costs.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from cupx.strategy.assignment import arm_for_bucket, bucket
from cupx.strategy.catalogue import CHANNEL_REQUIRES
from cupx.strategy.schema import Conditions, Segment, Step, Strategy, Test
from cupx.strategy.vocabulary import HOLD_REASONS, DecisionKind, Reason, SkipReason

__all__ = ["reference_arbitrate", "reference_cycle", "reference_decide"]


def _test(value: Any, op: str, arg: Any) -> bool:
    if value is None:
        return False
    if op == "eq":
        return bool(value == arg)
    if op == "ne":
        return bool(value != arg)
    if op == "gt":
        return bool(value > arg)
    if op == "gte":
        return bool(value >= arg)
    if op == "lt":
        return bool(value < arg)
    if op == "lte":
        return bool(value <= arg)
    if op == "in_":
        return value in arg
    if op == "not_in":
        return value not in arg
    if op == "between":
        return bool(arg[0] <= value <= arg[1])
    raise ValueError(op)


def _conds(row: dict[str, Any], conds: Conditions) -> bool:
    for feature, test in conds.items():
        ops = test.ops() if isinstance(test, Test) else [("eq", test)]
        for op, arg in ops:
            if not _test(row[feature], op, arg):
                return False
    return True


def _rule(row: dict[str, Any], when: Conditions, when_any: list[Conditions]) -> bool:
    return _conds(row, when) and (not when_any or any(_conds(row, c) for c in when_any))


def _due(row: dict[str, Any], st: Step) -> bool:
    if st.dpd is not None and (row["due_offset"] is None or row["due_offset"] < st.dpd):
        return False
    if st.after is not None:
        v = row[st.after.feature]
        if v is None or v < st.after.days:
            return False
    return True


def _expired(row: dict[str, Any], st: Step) -> bool:
    return st.until_dpd is not None and row["due_offset"] is not None and row["due_offset"] > st.until_dpd


def _usable(row: dict[str, Any], st: Step) -> bool:
    needs = CHANNEL_REQUIRES.get(st.channel)
    return _rule(row, st.when, st.when_any) and (needs is None or bool(row[needs]))


def _segment(strategy: Strategy, row: dict[str, Any]) -> Segment | None:
    return next((g for g in strategy.all_segments if _rule(row, g.when, g.when_any)), None)


def _arm(strategy: Strategy, seg: Segment, cid: int, stored: dict[tuple[str, int], str]) -> tuple[Any, ...]:
    for exp in strategy.experiments:
        if seg.id in (exp.segments or [g.id for g in strategy.all_segments]):
            known = stored.get((exp.id, cid))
            arm_id = known or arm_for_bucket(exp.arms, bucket(exp.id, cid))
            arm = next(a for a in exp.arms if a.id == arm_id)
            return exp.id, arm_id, known is None, arm.ladder, arm.control
    return None, None, False, None, False


def _decide_one(strategy: Strategy, row: dict[str, Any], prog: dict[str, dict[str, Any]],
                stored: dict[tuple[str, int], str], as_of: date) -> dict[str, Any]:
    out: dict[str, Any] = {"debt_id": row["debt_id"], "customer_id": row["customer_id"], "balance": row["balance"],
                           "strategy_id": strategy.id, "strategy_version": strategy.version, "segment": None,
                           "experiment_id": None, "arm": None, "arm_is_new": False, "step_id": None,
                           "channel": None, "template": None, "rank": None, "skips": []}
    seg = _segment(strategy, row)
    ladder_name, control = None, False
    if seg is not None:
        out["segment"] = seg.id
        exp_id, arm_id, is_new, arm_ladder, control = _arm(strategy, seg, row["customer_id"], stored)
        out.update(experiment_id=exp_id, arm=arm_id, arm_is_new=is_new)
        ladder_name = arm_ladder or seg.ladder
    holds = [HOLD_REASONS[h].value for h in strategy.holds if row[h.value]]
    if not row["is_open"]:
        return {**out, "kind": DecisionKind.NO_ACTION.value, "reasons": [Reason.NOT_DELINQUENT.value]}
    if holds:
        return {**out, "kind": DecisionKind.HOLD.value, "reasons": holds}
    if seg is None:
        return {**out, "kind": DecisionKind.NO_ACTION.value, "reasons": [Reason.NO_SEGMENT.value]}
    if control:
        return {**out, "kind": DecisionKind.CONTROL.value, "reasons": [Reason.CONTROL_ARM.value]}
    return _ladder(strategy, row, prog, as_of, out, ladder_name, seg in strategy.retention)


def _ladder(strategy: Strategy, row: dict[str, Any], prog: dict[str, dict[str, Any]], as_of: date,
            out: dict[str, Any], ladder_name: Any, retention: bool) -> dict[str, Any]:
    steps = strategy.ladders[ladder_name]
    advance, repeat, skips = None, None, []
    for st in steps:
        p = prog.get(st.id, {})
        tried, skipped = p.get("attempts", 0) > 0, bool(p.get("skipped"))
        due, expired, cond = _due(row, st), _expired(row, st), _usable(row, st)
        if due and not expired and cond and not (tried or skipped):
            advance = st
            break
        if due and not (tried or skipped) and (expired or not cond):
            skips.append(f"{st.id}:{SkipReason.EXPIRED if expired else SkipReason.CONDITION_FALSE}")
    for st in reversed(steps):
        p = prog.get(st.id, {})
        if _due(row, st) and not _expired(row, st) and _usable(row, st) and p.get("attempts", 0) > 0:
            repeat = st
            break
    last = [p["last_on"] for p in prog.values() if p.get("attempts", 0) > 0 and p.get("last_on")]
    gap = strategy.min_days_between_contacts
    gap_ok = not gap or not last or (as_of - max(last)).days >= gap
    out["skips"] = skips
    extra = [Reason.RETENTION.value] if retention else []
    chosen, reason = None, Reason.NO_STEP_DUE
    if advance is not None:
        chosen, reason = (advance, Reason.STEP_ADVANCE) if gap_ok else (None, Reason.MIN_GAP)
    elif repeat is not None:
        p = prog[repeat.id]
        since = (as_of - p["last_on"]).days if p.get("last_on") else None
        ok = p["attempts"] < repeat.max_attempts and (since is None or since >= repeat.cooldown_days)
        if ok and gap_ok:
            chosen, reason = repeat, Reason.STEP_REPEAT
        elif not gap_ok:
            reason = Reason.MIN_GAP
        elif p["attempts"] >= repeat.max_attempts:
            reason = Reason.MAX_ATTEMPTS
        else:
            reason = Reason.COOLDOWN
    if chosen is None:
        return {**out, "kind": DecisionKind.NO_ACTION.value, "reasons": [reason.value, *extra]}
    return {**out, "kind": DecisionKind.CONTACT.value, "reasons": [reason.value, *extra], "step_id": chosen.id,
            "channel": chosen.channel, "template": chosen.template, "rank": chosen.rank}


def reference_decide(strategy: Strategy, rows: list[dict[str, Any]], progress: list[dict[str, Any]],
                     assignments: list[dict[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """Decisions of `strategy` for each feature row, one debt at a time."""
    prog: dict[tuple[int, Any], dict[str, dict[str, Any]]] = defaultdict(dict)
    for p in progress:
        prog[(p["debt_id"], p["episode"])][p["step_id"]] = p
    stored = {(a["experiment_id"], a["customer_id"]): a["arm"] for a in assignments}
    out = [_decide_one(strategy, r, prog.get((r["debt_id"], r["episode"]), {}), stored, as_of) for r in rows]
    for d in out:  # the engine carries reason codes and skips as comma-joined text
        d["reasons"], d["skips"] = ",".join(d["reasons"]), ",".join(d["skips"])
    return out


def reference_arbitrate(decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One contact per customer: the highest rank, then balance, then smallest debt id; the rest grouped."""
    by_customer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for d in decisions:
        if d["kind"] == DecisionKind.CONTACT.value:
            by_customer[d["customer_id"]].append(d)
    out = []
    for d in decisions:
        d = dict(d, message_debt_ids=None, contact_debt_id=None)
        group = by_customer.get(d["customer_id"])
        if d["kind"] == DecisionKind.CONTACT.value and group:
            win = min(group, key=lambda x: (-x["rank"], -x["balance"], x["debt_id"]))
            d["contact_debt_id"] = win["debt_id"]
            if d["debt_id"] == win["debt_id"]:
                d["message_debt_ids"] = sorted(x["debt_id"] for x in group)
            else:
                d["kind"] = DecisionKind.GROUPED.value
                d["reasons"] = f"{Reason.GROUPED.value},{d['reasons']}"
        out.append(d)
    return out


def reference_cycle(strategies: list[Strategy], rows: list[dict[str, Any]], progress: list[dict[str, Any]],
                    assignments: list[dict[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """Route each debt to the first strategy whose `applies_to` holds, decide it, NO_STRATEGY otherwise
    (arbitration across a customer's debts is `reference_arbitrate`, run over all the decisions)."""
    by_strategy: dict[int, list[dict[str, Any]]] = defaultdict(list)
    out: list[dict[str, Any]] = []
    for r in rows:
        idx = next((i for i, s in enumerate(strategies) if _conds(r, s.applies_to)), None)
        if idx is None:
            out.append({"debt_id": r["debt_id"], "customer_id": r["customer_id"], "balance": r["balance"],
                        "strategy_id": None, "strategy_version": None, "segment": None, "experiment_id": None,
                        "arm": None, "arm_is_new": False, "step_id": None, "channel": None, "template": None,
                        "rank": None, "skips": "", "kind": DecisionKind.NO_ACTION.value,
                        "reasons": Reason.NO_STRATEGY.value})
        else:
            by_strategy[idx].append(r)
    for idx, group in by_strategy.items():
        out += reference_decide(strategies[idx], group, progress, assignments, as_of)
    return out
