"""Strategy conditions compiled to Polars expressions.

A `Conditions` mapping is a conjunction of tests on features; `when_any` is a disjunction of such
mappings. A test on a null feature is false (a "days since" that never happened never matches), so
every compiled condition is `fill_null(False)`: the result is always a plain true/false column.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import Any

import polars as pl

from cupx.strategy.schema import Conditions, Test

__all__ = ["conditions_expr", "rule_expr"]


def _op_expr(col: pl.Expr, op: str, value: Any) -> pl.Expr:
    if op == "eq":
        return col.eq(value)
    if op == "ne":
        return col.ne(value)
    if op == "gt":
        return col.gt(value)
    if op == "gte":
        return col.ge(value)
    if op == "lt":
        return col.lt(value)
    if op == "lte":
        return col.le(value)
    if op == "in_":
        return col.is_in(list(value))
    if op == "not_in":
        return ~col.is_in(list(value))
    if op == "between":
        return col.is_between(value[0], value[1], closed="both")
    raise ValueError(f"unknown comparison {op!r}")


def conditions_expr(conds: Conditions) -> pl.Expr:
    """All tests of the mapping; an empty mapping is true."""
    parts: list[pl.Expr] = []
    for feature, test in conds.items():
        col = pl.col(feature)
        ops = test.ops() if isinstance(test, Test) else [("eq", test)]
        # A null feature makes every comparison null, and null is "does not match".
        parts.extend(_op_expr(col, op, value).fill_null(False) for op, value in ops)
    return reduce(lambda a, b: a & b, parts, pl.lit(True))


def rule_expr(when: Conditions, when_any: Sequence[Conditions]) -> pl.Expr:
    """`when` and (if given) at least one of `when_any`."""
    expr = conditions_expr(when)
    if when_any:
        expr = expr & reduce(lambda a, b: a | b, (conditions_expr(c) for c in when_any))
    return expr
