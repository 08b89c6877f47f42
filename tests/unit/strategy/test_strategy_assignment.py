"""Champion/challenger buckets: the same in Polars and Python, stable, and split as the percentages say."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.strategy.assignment import arm_expr, arm_for_bucket, bucket, bucket_expr
from cupx.strategy.schema import Arm


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=20), st.lists(st.integers(1, 2**40), min_size=1, max_size=50))
def test_polars_and_python_buckets_agree(exp: str, customers: list[int]) -> None:
    arms = [Arm(id="a", percent=70), Arm(id="b", percent=20), Arm(id="c", percent=10, control=True)]
    df = pl.DataFrame({"c": customers}).with_columns(b=bucket_expr(exp, pl.col("c")))
    df = df.with_columns(arm=arm_expr(arms, pl.col("b")))
    assert df["b"].to_list() == [bucket(exp, c) for c in customers]
    assert df["arm"].to_list() == [arm_for_bucket(arms, bucket(exp, c)) for c in customers]


def test_split_follows_percentages_and_differs_between_experiments() -> None:
    arms = [Arm(id="champion", percent=80), Arm(id="challenger", percent=15), Arm(id="control", percent=5)]
    share = pl.DataFrame({"c": range(1, 100_001)}).select(arm_expr(arms, bucket_expr("e1", pl.col("c"))))
    counts = dict(share.to_series().value_counts().iter_rows())
    assert abs(counts["champion"] - 80_000) < 1_500 and abs(counts["control"] - 5_000) < 600
    same = sum(bucket("e1", c) == bucket("e2", c) for c in range(1, 2001))
    assert same < 20  # independent experiments do not reuse one split
