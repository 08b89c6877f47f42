"""Vectorised row checks over a frame of text columns, collecting problems instead of raising.

`Checker` holds the frame being validated and the problems found so far, one per (row, field, reason).
Each check parses a column in place (text -> Date, Datetime, Int64 minor units, Boolean) and records a
problem for every row whose value is bad; a row with any problem is rejected, the others land.

Invariants:
- Checks never drop rows: `rejected_rows()` and `good()` split the frame at the end.
- Amounts are parsed exactly as `cupx.domain.money.parse_money` does: plain decimals on a vectorised
  path (digits beyond the currency's precision are refused), anything else through `parse_money`
  itself, so both paths agree (a property test checks it).
- Instants must carry an offset; they are stored as UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from cupx.domain.errors import CupxError
from cupx.domain.money import check_currency, minor_digits, parse_money

__all__ = ["Checker", "TRUE_WORDS", "FALSE_WORDS"]

TRUE_WORDS = ("true", "1", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "no", "n", "f")
_PLAIN_AMOUNT = r"^([+-]?)([0-9]{1,15})(?:\.([0-9]+))?$"
_MAX_MINOR = 10**15  # far beyond any debt, far below BIGINT: a typo never overflows a write
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class Checker:
    """A frame under validation and the problems found in it."""

    def __init__(self, df: pl.DataFrame) -> None:
        self.df = df
        self._problems: list[pl.DataFrame] = []

    # -- bookkeeping -------------------------------------------------------------------------------
    def flag(self, mask: pl.Expr, field: str, reason: str | pl.Expr) -> None:
        """Record a problem on every row where `mask` is true."""
        reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
        found = self.df.filter(mask.fill_null(False)).select(
            pl.col("row"), pl.lit(field).alias("field"), reason_expr.cast(pl.String).alias("reason"))
        if found.height:
            self._problems.append(found)

    def flag_rows(self, problems: pl.DataFrame) -> None:
        """Record problems computed elsewhere (columns row, field, reason)."""
        if problems.height:
            self._problems.append(problems.select("row", "field", pl.col("reason").cast(pl.String)))

    def problems(self) -> pl.DataFrame:
        if not self._problems:
            return pl.DataFrame(schema={"row": pl.Int64, "field": pl.String, "reason": pl.String})
        return pl.concat(self._problems).unique(maintain_order=True).sort("row", maintain_order=True)

    def rejected_rows(self) -> pl.Series:
        return self.problems()["row"].unique()

    def good(self) -> pl.DataFrame:
        """The rows without any problem so far."""
        if not self._problems:
            return self.df
        return self.df.filter(~pl.col("row").is_in(self.rejected_rows().implode()))

    # -- checks ------------------------------------------------------------------------------------
    def required(self, *columns: str) -> None:
        for c in columns:
            self.flag(pl.col(c).is_null(), c, "required")

    def max_length(self, column: str, limit: int) -> None:
        self.flag(pl.col(column).str.len_chars() > limit, column, f"longer than {limit} characters")

    def one_of(self, column: str, allowed: Iterable[str], default: str | None = None) -> None:
        values = sorted(allowed)
        if default is not None:
            self.df = self.df.with_columns(pl.col(column).fill_null(default))
        self.flag(pl.col(column).is_not_null() & ~pl.col(column).is_in(values), column,
                  f"must be one of {', '.join(values)}")

    def matches(self, column: str, pattern: str, reason: str) -> None:
        self.flag(pl.col(column).is_not_null() & ~pl.col(column).str.contains(pattern), column, reason)

    def boolean(self, column: str, default: bool = False) -> None:
        low = pl.col(column).str.to_lowercase()
        self.flag(low.is_not_null() & ~low.is_in([*TRUE_WORDS, *FALSE_WORDS]), column, "not a boolean (true/false)")
        self.df = self.df.with_columns(
            pl.when(low.is_null()).then(pl.lit(default)).otherwise(low.is_in(list(TRUE_WORDS))).alias(column))

    def date(self, column: str) -> None:
        text = pl.col(column)
        parsed = text.str.to_date("%Y-%m-%d", strict=False)
        bad = text.is_not_null() & (~text.str.contains(_DATE) | parsed.is_null())
        self.flag(bad, column, "not an ISO date YYYY-MM-DD")
        self.df = self.df.with_columns(pl.when(bad).then(None).otherwise(parsed).alias(column))

    def instant(self, column: str) -> None:
        """ISO 8601 instants with an offset, stored as UTC."""
        parsed = _map_distinct(self.df[column], _parse_instant, pl.Datetime("us", "UTC"))
        self.df = self.df.with_columns(parsed.alias(f"__{column}"))
        self.flag(pl.col(column).is_not_null() & pl.col(f"__{column}").is_null(), column,
                  "not an ISO 8601 instant with an offset (2026-09-08T09:10:00-05:00)")
        self.df = self.df.with_columns(pl.col(f"__{column}").alias(column)).drop(f"__{column}")

    def currency(self, column: str) -> None:
        ok = {c for c in self.df[column].drop_nulls().unique().to_list() if _is_currency(c)}
        self.flag(pl.col(column).is_not_null() & ~pl.col(column).is_in(sorted(ok)), column,
                  "not an ISO 4217 currency code")

    def amount(self, column: str, currency_column: str, *, signed: bool = False) -> None:
        """Major-unit text -> Int64 minor units in the row's currency (null where bad)."""
        cur = pl.col(currency_column)
        currencies = [c for c in self.df[currency_column].drop_nulls().unique().to_list() if _is_currency(c)]
        digits = cur.replace_strict({c: minor_digits(c) for c in currencies}, default=None, return_dtype=pl.Int64)
        scale = cur.replace_strict({c: 10 ** minor_digits(c) for c in currencies}, default=None,
                                   return_dtype=pl.Int64)
        text = pl.col(column)
        parts = text.str.extract_groups(_PLAIN_AMOUNT)
        sign, whole, frac = (parts.struct.field(k) for k in ("1", "2", "3"))
        frac = frac.str.strip_chars_end("0")  # "12.50" in JPY is 12.5 -> refused; "12.00" is 12 -> fine
        frac_len = frac.str.len_chars().fill_null(0)
        frac_minor = pl.concat_str([frac.fill_null(""), pl.lit("0" * 6)]).str.slice(0, digits)
        plain = (whole.cast(pl.Int64) * scale + pl.when(digits == 0).then(0).otherwise(frac_minor.cast(pl.Int64)))
        plain = pl.when(sign == "-").then(-plain).otherwise(plain)
        self.df = self.df.with_columns(
            pl.when(whole.is_not_null() & (frac_len <= digits)).then(plain).otherwise(None).alias(f"__{column}"),
            (whole.is_not_null() & (frac_len > digits)).alias("__too_precise"),
            (whole.is_null() & text.is_not_null() & digits.is_not_null()).alias("__slow"),
        )
        self.flag(pl.col("__too_precise"), column,
                  pl.format("has more than {} decimal places for {}", digits, cur))
        self._slow_amounts(column, currency_column)
        self.df = self.df.with_columns(pl.col(f"__{column}").alias(column)).drop(
            f"__{column}", "__too_precise", "__slow")
        too_big = pl.col(column).abs() >= _MAX_MINOR
        self.flag(too_big, column, "too large an amount")
        self.df = self.df.with_columns(pl.when(too_big).then(None).otherwise(pl.col(column)).alias(column))
        if signed:
            self.flag(pl.col(column) == 0, column, "must not be zero")
        else:
            self.flag(pl.col(column) <= 0, column, "must be positive")

    def _slow_amounts(self, column: str, currency_column: str) -> None:
        """Values outside the plain-decimal form go through `parse_money` itself (exact messages)."""
        slow = self.df.filter(pl.col("__slow")).select("row", column, currency_column)
        if slow.height == 0:
            return
        values: list[int | None] = []
        problems: list[tuple[int, str, str]] = []
        for row, text, cur in slow.iter_rows():
            try:
                minor = parse_money(text, cur, field=column).minor
                values.append(minor if abs(minor) < _MAX_MINOR else None)
                if abs(minor) >= _MAX_MINOR:
                    problems.append((row, column, "too large an amount"))
            except CupxError as exc:
                values.append(None)
                problems.append((row, column, exc.message))
        fixed = pl.DataFrame({"row": slow["row"], "__fixed": pl.Series(values, dtype=pl.Int64)})
        self.df = self.df.join(fixed, on="row", how="left", maintain_order="left").with_columns(
            pl.coalesce(f"__{column}", "__fixed").alias(f"__{column}")).drop("__fixed")
        self.flag_rows(pl.DataFrame(problems, schema={"row": pl.Int64, "field": pl.String, "reason": pl.String},
                                    orient="row"))

    def per_value(self, column: str, parse: Callable[[str], Any], dtype: pl.DataType,
                  reason: Callable[[str], str | None] | None = None) -> None:
        """Parse distinct values of a column in Python; `parse` raising CupxError flags the row."""
        messages: dict[str, str] = {}

        def safe(value: str) -> Any:
            try:
                return parse(value)
            except CupxError as exc:
                messages[value] = exc.message
                return None

        parsed = _map_distinct(self.df[column], safe, dtype)
        self.df = self.df.with_columns(parsed.alias(f"__{column}"), pl.col(column).alias(f"__raw_{column}"))
        if messages:
            self.flag(pl.col(f"__raw_{column}").is_in(list(messages)), column,
                      pl.col(f"__raw_{column}").replace_strict(messages, default="invalid"))
        self.df = self.df.with_columns(pl.col(f"__{column}").alias(column)).drop(f"__{column}", f"__raw_{column}")

    def duplicates(self, column: str) -> None:
        """Second and later rows with the same value are rejected, naming the first."""
        # Computed before `flag` filters the frame, so "first" is over every row.
        self.df = self.df.with_columns(pl.col("row").min().over(column).alias("__first"))
        first = pl.col("__first")
        self.flag(pl.col(column).is_not_null() & (pl.col("row") != first), column,
                  pl.format("duplicate {} (first at row {})", pl.col(column), first))
        self.df = self.df.drop("__first")


def _is_currency(code: str) -> bool:
    try:
        check_currency(code)
    except CupxError:
        return False
    return True


def _parse_instant(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None
    if value.tzinfo is None or value.utcoffset() is None or "T" not in text and " " not in text:
        return None
    return value.astimezone(UTC)


def _map_distinct(series: pl.Series, fn: Callable[[str], Any], dtype: pl.DataType) -> pl.Series:
    """Apply a Python function once per distinct non-null value (imports repeat values a lot)."""
    distinct = series.drop_nulls().unique().to_list()
    mapping = {v: fn(v) for v in distinct}
    keys: Sequence[str] = list(mapping)
    lookup = pl.DataFrame({"__k": pl.Series(keys, dtype=pl.String),
                           "__v": pl.Series([mapping[k] for k in keys], dtype=dtype)})
    out = pl.DataFrame({"__k": series}).join(lookup, on="__k", how="left", maintain_order="left")
    return out["__v"]
