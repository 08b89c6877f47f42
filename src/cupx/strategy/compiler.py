"""A strategy compiled to ONE Polars lazy plan that decides for every debt at once.

`compile_strategy(strategy)` turns the validated model into expressions once; `decide(features,
progress, assignments, as_of)` returns a lazy frame with one decision row per debt of `features`.
The same plan on a one-customer frame is `explain` (with `explain=True` it also says why each step of
the ladder was or was not chosen).

How a debt is decided, in order (first that applies):
1. not delinquent (nothing unpaid)                     -> no_action NOT_DELINQUENT
2. any hold the strategy honours                       -> hold HOLD_* (every applicable hold listed)
3. no segment matches                                  -> no_action NO_SEGMENT
4. the customer is in the experiment's control arm     -> control CONTROL_ARM
5. soft first: the first step of the ladder, in order, that is due, not expired, whose conditions hold
   and that was neither tried nor skipped in this delinquency episode -> contact STEP_ADVANCE.
   Every earlier due step that is expired or whose conditions are false is skipped NOW and the skip is
   recorded (`skips`), so a harsher step is only reached after the softer ones were tried or skipped
   for a recorded reason. Progress is state (what was tried in this episode), not "dpd == N", so a
   night that did not run never makes a debt jump a step: it takes the next step on the next run.
   A step on `sms`, `email` or `letter` also requires a usable mobile, email address or postal address
   (`has_mobile`, `has_email`, `has_address`): without one it is skipped (condition_false), never sent.
6. otherwise the last tried step that is still due may repeat (attempts left and cooldown over)
   -> contact STEP_REPEAT, else no_action MAX_ATTEMPTS / COOLDOWN / NO_STEP_DUE.
`min_days_between_contacts` turns a contact into no_action MIN_GAP when the debt was contacted more
recently. The cross-debt rule (one contact per customer per day) is `cupx.strategy.arbitration`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce
from typing import Any

import polars as pl

from cupx.strategy.assignment import arm_expr, bucket_expr
from cupx.strategy.catalogue import CHANNEL_REQUIRES
from cupx.strategy.conditions import conditions_expr, rule_expr
from cupx.strategy.schema import Step, Strategy
from cupx.strategy.vocabulary import HOLD_REASONS, DecisionKind, Reason, SkipReason, StepStatus

__all__ = ["DECISION_COLUMNS", "CompiledStrategy", "compile_strategy", "first_of"]

DECISION_COLUMNS = ["debt_id", "customer_id", "balance", "episode", "strategy_id", "strategy_version",
                    "segment", "experiment_id", "arm", "arm_is_new", "kind", "reasons", "step_id", "channel",
                    "template", "rank", "skips"]


def first_of(pairs: Sequence[tuple[pl.Expr, Any]], otherwise: Any = None) -> pl.Expr:
    """`when c1 then v1 when c2 then v2 ... otherwise`: the value of the first true condition."""
    if not pairs:
        return otherwise if isinstance(otherwise, pl.Expr) else pl.lit(otherwise)
    chain: Any = pl
    for cond, value in pairs:
        chain = chain.when(cond).then(value if isinstance(value, pl.Expr) else pl.lit(value))
    result: pl.Expr = chain.otherwise(otherwise if isinstance(otherwise, pl.Expr) else pl.lit(otherwise))
    return result


def _join(items: Sequence[pl.Expr]) -> pl.Expr:
    """The non-null items joined with commas ("" when none): reason codes and skips travel as text."""
    if not items:
        return pl.lit("")
    return pl.concat_str(list(items), separator=",", ignore_nulls=True).fill_null("")


def _listed(column: str, item: str) -> pl.Expr:
    return (pl.lit(",") + pl.col(column) + pl.lit(",")).str.contains(f",{item},", literal=True)


def _bit(mask: str, i: int) -> pl.Expr:
    return (pl.col(mask) & (1 << i)) != 0


def _ladder_mask(masks: dict[str, int]) -> pl.Expr:
    """The bits of the debt's ladder (0 without one)."""
    return pl.col("ladder").replace_strict(masks, default=0, return_dtype=pl.Int64).fill_null(0)


class _SkipTexts:
    """Renders (skipped mask, expired mask) pairs as "step:reason,..." in step order, once per distinct pair."""

    def __init__(self, step_ids: Sequence[str]) -> None:
        self.step_ids = list(step_ids)

    def text(self, skipped: int, expired: int) -> str:
        return ",".join(f"{sid}:{SkipReason.EXPIRED if expired >> i & 1 else SkipReason.CONDITION_FALSE}"
                        for i, sid in enumerate(self.step_ids) if skipped >> i & 1)

    def render(self, pairs: pl.Series) -> pl.Series:
        frame = pairs.struct.unnest()
        distinct = frame.unique()
        distinct = distinct.with_columns(pl.Series("text", [self.text(a, b) for a, b in distinct.iter_rows()],
                                                   dtype=pl.String))
        return frame.join(distinct, on=["skipped", "expired"], how="left", maintain_order="left")["text"]


def _due(step: Step) -> pl.Expr:
    parts = []
    if step.dpd is not None:
        parts.append(pl.col("due_offset") >= step.dpd)
    if step.after is not None:
        parts.append(pl.col(step.after.feature) >= step.after.days)
    return reduce(lambda a, b: a & b, parts).fill_null(False)


def _expired(step: Step) -> pl.Expr:
    if step.until_dpd is None:
        return pl.lit(False)
    return (pl.col("due_offset") > step.until_dpd).fill_null(False)


@dataclass(frozen=True)
class CompiledStrategy:
    strategy: Strategy
    applies: pl.Expr  # which debts the strategy covers

    @property
    def steps(self) -> list[Step]:
        return self.strategy.steps

    def _ordinal(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.steps)}

    def _progress(self, progress: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
        """(masks per debt and episode, this strategy's progress rows) from the long progress table."""
        bits = {s.id: 1 << i for i, s in enumerate(self.steps)}
        mine = progress.filter(pl.col("step_id").is_in(list(bits)))
        bit = pl.col("step_id").replace_strict(bits, default=0, return_dtype=pl.Int64)
        masks = mine.group_by("debt_id", "episode").agg(
            attempted_mask=pl.when(pl.col("attempts") > 0).then(bit).otherwise(0).sum(),
            skipped_mask=pl.when(pl.col("skipped")).then(bit).otherwise(0).sum(),
            last_attempt_on=pl.col("last_on").max(),
        )
        return masks, mine.select("debt_id", "episode", "step_id", "attempts", "last_on")

    def _segment_columns(self) -> list[pl.Expr]:
        s = self.strategy
        segs = s.all_segments
        segment = first_of([(rule_expr(g.when, g.when_any), g.id) for g in segs])
        retention_ids = [g.id for g in s.retention]
        exp_of = {seg_id: e.id for e in s.experiments for seg_id in (e.segments or [g.id for g in segs])}
        return [
            segment.alias("segment"),
            first_of([(segment == g.id, g.ladder) for g in segs]).alias("_seg_ladder"),
            segment.is_in(retention_ids).fill_null(False).alias("_retention"),
            first_of([(segment == k, v) for k, v in exp_of.items()], pl.lit(None, dtype=pl.String))
            .alias("experiment_id"),
        ]

    def _arm_columns(self) -> list[pl.Expr]:
        s = self.strategy
        exp = pl.col("experiment_id")
        computed = first_of([(exp == e.id, arm_expr(e.arms, bucket_expr(e.id, pl.col("customer_id"))))
                             for e in s.experiments], pl.lit(None, dtype=pl.String))
        return [pl.coalesce(pl.col("stored_arm"), computed).alias("arm"),
                (pl.col("stored_arm").is_null() & exp.is_not_null()).alias("arm_is_new")]

    def _ladder_columns(self) -> list[pl.Expr]:
        s = self.strategy
        exp, arm = pl.col("experiment_id"), pl.col("arm")
        overrides = [((exp == e.id) & (arm == a.id), a.ladder) for e in s.experiments for a in e.arms if a.ladder]
        controls = [(exp == e.id) & (arm == a.id) for e in s.experiments for a in e.arms if a.control]
        return [first_of(overrides, pl.col("_seg_ladder")).alias("ladder"),
                reduce(lambda a, b: a | b, controls, pl.lit(False)).fill_null(False).alias("_control")]

    def _step_columns(self) -> list[pl.Expr]:
        """Bit masks over the steps (bit i = step i): `_umask` due, not expired and usable; `_xmask` to skip
        now if the ladder gets that far (due, unsettled, expired or condition false); `_emask` expired.
        Masks, not a column per step: the choices below are then a few integer operations per row."""
        usable, skip, expired_bits = [], [], []
        for i, step in enumerate(self.steps):
            due, expired = _due(step), _expired(step)
            cond = rule_expr(step.when, step.when_any)
            if step.channel in CHANNEL_REQUIRES:  # no usable contact point: the step is skipped, never sent
                cond = cond & pl.col(CHANNEL_REQUIRES[step.channel]).fill_null(False)
            settled = _bit("_settled", i)
            # a null condition is neither usable nor a reason to skip (as `when(null)` is false)
            usable.append((due & ~expired & cond).fill_null(False).cast(pl.Int64) * (1 << i))
            skip.append((due & ~settled & (expired | ~cond)).fill_null(False).cast(pl.Int64) * (1 << i))
            expired_bits.append(expired.cast(pl.Int64) * (1 << i))
        return [pl.sum_horizontal(usable).alias("_umask"), pl.sum_horizontal(skip).alias("_xmask"),
                pl.sum_horizontal(expired_bits).alias("_emask")]

    def _ladder_masks(self) -> dict[str, int]:
        order = self._ordinal()
        return {name: sum(1 << order[st.id] for st in steps) for name, steps in self.strategy.ladders.items()}

    def _choice_columns(self) -> list[pl.Expr]:
        """`_adv`: the first (lowest) usable unsettled step of the debt's ladder; `_rep`: the last (highest)
        usable step already tried. Steps are numbered ladder by ladder, so ladder order is bit order."""
        ladder = _ladder_mask(self._ladder_masks())
        advance = pl.col("_umask") & ~pl.col("_settled") & ladder
        repeat = pl.col("_umask") & pl.col("attempted_mask") & ladder
        return [pl.when(advance != 0).then(advance.bitwise_trailing_zeros().cast(pl.Int64)).alias("_adv"),
                pl.when(repeat != 0).then(63 - repeat.bitwise_leading_zeros().cast(pl.Int64)).alias("_rep")]

    def _skips_column(self) -> pl.Expr:
        """"step:reason,step:reason" for the steps skipped now: the ladder's skippable steps before the
        advance (all of them when there is none), once the ladder is reached. Built as masks; the text is
        made once per distinct (skipped, expired) pair, not once per row."""
        n = len(self.steps)
        ladder = _ladder_mask(self._ladder_masks())
        before = pl.col("_adv").replace_strict({i: (1 << i) - 1 for i in range(n)}, default=-1,
                                               return_dtype=pl.Int64).fill_null(-1)  # no advance: every step
        now = pl.when(pl.col("_ladder_reached")).then(pl.col("_xmask") & ladder & before).otherwise(0).fill_null(0)
        texts = _SkipTexts([st.id for st in self.steps])
        return pl.struct(now.alias("skipped"), (now & pl.col("_emask")).alias("expired")).map_batches(
            texts.render, return_dtype=pl.String).alias("skips")

    def _verdict_columns(self, as_of: date) -> list[pl.Expr]:
        s = self.strategy
        steps = self.steps
        ids = {i: st.id for i, st in enumerate(steps)}
        chosen = pl.coalesce("_adv", "_rep")
        since_last = (pl.lit(as_of) - pl.col("last_attempt_on")).dt.total_days()
        since_rep = (pl.lit(as_of) - pl.col("_rep_last_on")).dt.total_days()
        max_att = pl.col("_rep").replace_strict({i: st.max_attempts for i, st in enumerate(steps)}, default=None)
        cooldown = pl.col("_rep").replace_strict({i: st.cooldown_days for i, st in enumerate(steps)}, default=None)
        gap_ok = (since_last >= s.min_days_between_contacts).fill_null(True) if s.min_days_between_contacts else \
            pl.lit(True)
        rep_ok = (pl.col("_rep_attempts") < max_att) & (since_rep >= cooldown).fill_null(True)
        holds = [(pl.col(h.value), HOLD_REASONS[h].value) for h in s.holds]
        hold_any = reduce(lambda a, b: a | b, [c for c, _ in holds]).fill_null(False)
        hold_list = _join([pl.when(c).then(pl.lit(r)) for c, r in holds])
        contact_adv = pl.col("_adv").is_not_null() & gap_ok
        contact_rep = pl.col("_adv").is_null() & pl.col("_rep").is_not_null() & rep_ok & gap_ok
        is_contact = pl.col("_ladder_reached") & (contact_adv | contact_rep)
        kind = first_of([
            (~pl.col("is_open"), DecisionKind.NO_ACTION.value),
            (hold_any, DecisionKind.HOLD.value),
            (pl.col("segment").is_null(), DecisionKind.NO_ACTION.value),
            (pl.col("_control"), DecisionKind.CONTROL.value),
            (is_contact, DecisionKind.CONTACT.value),
        ], DecisionKind.NO_ACTION.value)
        single = first_of([
            (~pl.col("is_open"), Reason.NOT_DELINQUENT.value),
            (pl.col("segment").is_null(), Reason.NO_SEGMENT.value),
            (pl.col("_control"), Reason.CONTROL_ARM.value),
            (contact_adv, Reason.STEP_ADVANCE.value),
            (contact_rep, Reason.STEP_REPEAT.value),
            (chosen.is_not_null() & ~gap_ok, Reason.MIN_GAP.value),
            (pl.col("_rep").is_not_null() & (pl.col("_rep_attempts") >= max_att), Reason.MAX_ATTEMPTS.value),
            (pl.col("_rep").is_not_null(), Reason.COOLDOWN.value),
        ], Reason.NO_STEP_DUE.value)
        retention = pl.when(pl.col("_retention") & pl.col("_ladder_reached")).then(pl.lit(Reason.RETENTION.value))
        reasons = pl.when(pl.col("is_open") & hold_any).then(hold_list).otherwise(_join([single, retention]))
        pick = pl.when(is_contact).then(chosen)
        return [
            kind.alias("kind"), reasons.alias("reasons"),
            pick.replace_strict(ids, default=None, return_dtype=pl.String).alias("step_id"),
            pick.replace_strict({i: st.channel for i, st in enumerate(steps)}, default=None,
                                return_dtype=pl.String).alias("channel"),
            pick.replace_strict({i: st.template for i, st in enumerate(steps)}, default=None,
                                return_dtype=pl.String).alias("template"),
            pick.replace_strict({i: st.rank for i, st in enumerate(steps)}, default=None,
                                return_dtype=pl.Int64).alias("rank"),
        ]

    def decide(self, features: pl.LazyFrame, progress: pl.LazyFrame | None, assignments: pl.LazyFrame | None,
               as_of: date, *, explain: bool = False, carry: Sequence[str] = ()) -> pl.LazyFrame:
        """One decision row per debt of `features` (see the module docstring for the rules); `carry` names
        feature columns passed through unchanged (the score, the language) to save a join later.
        `progress` / `assignments` None means none is stored (the first night): no join is planned."""
        s = self.strategy
        ids = {i: st.id for i, st in enumerate(self.steps)}
        if progress is None:
            lf = features.with_columns(attempted_mask=pl.lit(0, dtype=pl.Int64),
                                       skipped_mask=pl.lit(0, dtype=pl.Int64),
                                       last_attempt_on=pl.lit(None, dtype=pl.Date))
        else:
            masks, mine = self._progress(progress)
            lf = features.join(masks, on=["debt_id", "episode"], how="left").with_columns(
                pl.col("attempted_mask").fill_null(0), pl.col("skipped_mask").fill_null(0))
        lf = lf.with_columns(self._segment_columns())
        if assignments is None:
            lf = lf.with_columns(stored_arm=pl.lit(None, dtype=pl.String))
        else:
            lf = lf.join(assignments.rename({"arm": "stored_arm"}), on=["experiment_id", "customer_id"], how="left")
        lf = (
            lf.with_columns(self._arm_columns())
            .with_columns(self._ladder_columns())
            .with_columns(_settled=pl.col("attempted_mask") | pl.col("skipped_mask"))
            .with_columns(self._step_columns())
            .with_columns(self._choice_columns())
            .with_columns(
                _rep_id=pl.col("_rep").replace_strict(ids, default=None, return_dtype=pl.String),
                _ladder_reached=pl.col("is_open") & pl.col("segment").is_not_null() & ~pl.col("_control")
                & ~reduce(lambda a, b: a | b, [pl.col(h.value) for h in s.holds]).fill_null(False),
            )
        )
        if progress is None:
            lf = lf.with_columns(_rep_attempts=pl.lit(None, dtype=pl.Int64), _rep_last_on=pl.lit(None, dtype=pl.Date))
        else:
            lf = lf.join(mine.rename({"step_id": "_rep_id", "attempts": "_rep_attempts", "last_on": "_rep_last_on"}),
                         on=["debt_id", "episode", "_rep_id"], how="left")
        lf = (
            lf
            .with_columns(self._skips_column())
            .with_columns(self._verdict_columns(as_of))
            .with_columns(strategy_id=pl.lit(s.id), strategy_version=pl.lit(s.version, dtype=pl.Int64))
        )
        cols = list(DECISION_COLUMNS) + [c for c in carry if c not in DECISION_COLUMNS]
        if explain:
            lf = lf.with_columns(self._why_column())
            cols.append("why")
        return lf.select(cols)

    def _why_column(self) -> pl.Expr:
        """For explain: `step_id: status` for every step of the debt's ladder."""
        order = self._ordinal()
        per_ladder = []
        for name, steps in self.strategy.ladders.items():
            items = []
            for st in steps:
                i = order[st.id]
                status = first_of([
                    (~pl.col("_ladder_reached"), StepStatus.NOT_EVALUATED.value),
                    (pl.col("step_id") == st.id, StepStatus.CHOSEN.value),
                    (_listed("skips", f"{st.id}:{SkipReason.EXPIRED}"), StepStatus.EXPIRED.value),
                    (_listed("skips", f"{st.id}:{SkipReason.CONDITION_FALSE}"), StepStatus.CONDITION_FALSE.value),
                    (_bit("skipped_mask", i), StepStatus.SKIPPED_BEFORE.value),
                    (_bit("attempted_mask", i), StepStatus.TRIED.value),
                    (_bit("_umask", i), StepStatus.WAITING.value),
                ], StepStatus.NOT_DUE.value)
                items.append(pl.lit(f"{st.id}: ") + status)
            per_ladder.append((pl.col("ladder") == name, pl.concat_list(items)))
        return first_of(per_ladder, pl.lit([], dtype=pl.List(pl.String))).alias("why")


def compile_strategy(strategy: Strategy) -> CompiledStrategy:
    return CompiledStrategy(strategy, conditions_expr(strategy.applies_to))
