"""Champion/challenger assignment: a stable bucket 0..9999 from (experiment id, customer id).

The hash is plain integer arithmetic modulo a prime below 2**31, so every intermediate product fits in
a signed 64-bit integer and Polars (columnar, for a million customers) and Python (`bucket`, for one
customer and for the reference tests) compute exactly the same bucket on any platform or version. Two
squarings make it non-linear, so consecutive customer ids do not fall into a regular pattern. Arms own
consecutive bucket ranges in the order the strategy lists them. Assignments are also stored, so a
customer keeps the arm first given even if the percentages change later.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import polars as pl

from cupx.strategy.schema import Arm

__all__ = ["BUCKETS", "arm_for_bucket", "arm_expr", "bucket", "bucket_expr"]

BUCKETS = 10_000
_P = 2_147_483_629  # a prime below 2**31
_A = 1_103_515_245 % _P


def _seeds(experiment_id: str) -> tuple[int, int]:
    digest = hashlib.sha256(experiment_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % _P, int.from_bytes(digest[4:8], "big") % _P


def bucket(experiment_id: str, customer_id: int) -> int:
    s1, s2 = _seeds(experiment_id)
    x = (customer_id % _P + s1) % _P
    x = x * x % _P
    x = (x * _A + s2) % _P
    x = x * x % _P
    return x % BUCKETS


def bucket_expr(experiment_id: str, customer_id: pl.Expr) -> pl.Expr:
    s1, s2 = _seeds(experiment_id)
    x = (customer_id.cast(pl.Int64) % _P + s1) % _P
    x = x * x % _P
    x = (x * _A + s2) % _P
    x = x * x % _P
    return x % BUCKETS


def arm_for_bucket(arms: Sequence[Arm], b: int) -> str:
    upper = 0
    for arm in arms:
        upper += arm.percent * BUCKETS // 100
        if b < upper:
            return arm.id
    return arms[-1].id


def arm_expr(arms: Sequence[Arm], bucket_col: pl.Expr) -> pl.Expr:
    upper = 0
    chain: pl.Expr | None = None
    for arm in arms:
        upper += arm.percent * BUCKETS // 100
        cond = bucket_col < upper
        chain = pl.when(cond).then(pl.lit(arm.id)) if chain is None else chain.when(cond).then(pl.lit(arm.id))  # type: ignore[attr-defined]
    assert chain is not None
    return chain.otherwise(pl.lit(arms[-1].id))  # type: ignore[attr-defined, no-any-return]
