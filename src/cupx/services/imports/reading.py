"""Reading an import file into a frame of text columns, refusing malformed files before any write.

Invariants:
- The result has one `str` column per known column of the kind (null when absent or blank, values
  stripped) plus `row`: the row number an operator sees (CSV: the header is row 1, so the first record
  is row 2; JSON Lines: the line number).
- A file that is not UTF-8 (or holds a NUL character), a CSV header missing a required column or
  naming an unknown one, a ragged CSV, or a JSON line that is not an object (or names an unknown key)
  raises `ValidationError` naming the column or line: nothing has been written at that point.
- JSON Lines values are turned into the CSV text form (booleans `true`/`false`, lists `;`-joined,
  `due_schedule` pairs `date:amount`, objects as JSON text), so one validation path serves both formats.
  Nested customer contact points (`phones`, `emails`, `addresses`) are kept as JSON text columns.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from cupx.domain.errors import ValidationError

__all__ = ["FileSpec", "NESTED_COLUMNS", "read_file"]

NESTED_COLUMNS = ("phones", "emails", "addresses")  # JSON Lines customers only


@dataclass(frozen=True, slots=True)
class FileSpec:
    """The columns of one import kind."""

    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    nested: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


def read_file(path: Path, spec: FileSpec) -> pl.DataFrame:
    """The file as text columns plus `row`; raises `ValidationError` for a malformed file."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationError(f"{path.name} is not UTF-8 (byte {exc.start}, line {line})", field="file",
                              row=line) from None
    nul = text.find("\x00")
    if nul >= 0:  # no database text column can hold it, and no honest CSV has one
        line = text.count("\n", 0, nul) + 1
        raise ValidationError(f"{path.name} contains a NUL character (line {line})", field="file", row=line)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return _read_jsonl(text, spec)
    return _read_csv(text, spec)


def _check_header(header: list[str], spec: FileSpec) -> None:
    seen: set[str] = set()
    for name in header:
        if name not in spec.columns:
            raise ValidationError(f"unknown column {name!r} in the header of a {spec.kind} file", field=name, row=1)
        if name in seen:
            raise ValidationError(f"column {name!r} appears twice in the header", field=name, row=1)
        seen.add(name)
    for name in spec.required:
        if name not in seen:
            raise ValidationError(f"required column {name!r} is missing from the header", field=name, row=1)


def _read_csv(text: str, spec: FileSpec) -> pl.DataFrame:
    first = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), None)
    if first is None:
        raise ValidationError("the file is empty: a CSV import needs a header row", field="file", row=1)
    header = [h.strip() for h in first]
    _check_header(header, spec)
    try:
        df = pl.read_csv(io.StringIO(text), infer_schema=False, truncate_ragged_lines=False,
                         new_columns=header, raise_if_empty=False)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        raise ValidationError(f"malformed CSV: {str(exc).splitlines()[0]}", field="file") from None
    df = df.with_columns(pl.int_range(2, df.height + 2, dtype=pl.Int64).alias("row"))
    return _finish(df, spec)


def _finish(df: pl.DataFrame, spec: FileSpec) -> pl.DataFrame:
    stripped = [pl.col(c).str.strip_chars().replace("", None).alias(c) for c in df.columns if c != "row"]
    df = df.with_columns(stripped) if stripped else df
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in (*spec.columns, *spec.nested) if c not in df.columns]
    return df.with_columns(missing).select("row", *spec.columns, *spec.nested)


def _cell(key: str, value: Any, line: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    if key == "payload" and isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if key == "due_schedule" and isinstance(value, list):
        try:
            return ";".join(f"{d}:{a}" for d, a in value)
        except (TypeError, ValueError):
            raise ValidationError("due_schedule must be a list of [date, amount] pairs", field=key,
                                  row=line) from None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ";".join(value)
    raise ValidationError(f"key {key!r} has a {type(value).__name__} value where text is expected", field=key,
                          row=line)


def _read_jsonl(text: str, spec: FileSpec) -> pl.DataFrame:
    records: list[dict[str, Any]] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"line {line_no} is not valid JSON: {exc.msg}", field="file", row=line_no) from None
        if not isinstance(obj, dict):
            raise ValidationError(f"line {line_no} is not a JSON object", field="file", row=line_no)
        rec: dict[str, Any] = {"row": line_no}
        for key, value in obj.items():
            if key in spec.nested:
                if value is not None and not isinstance(value, list):
                    raise ValidationError(f"{key!r} must be a list of objects", field=key, row=line_no)
                rec[key] = None if value is None else json.dumps(value)
            elif key in spec.columns:
                rec[key] = _cell(key, value, line_no)
            else:
                raise ValidationError(f"unknown key {key!r} on line {line_no} of a {spec.kind} file", field=key,
                                      row=line_no)
        records.append(rec)
    schema: dict[str, Any] = {"row": pl.Int64, **{c: pl.String for c in (*spec.columns, *spec.nested)}}
    df = pl.DataFrame(records, schema=schema) if records else pl.DataFrame(schema=schema)
    return _finish(df, spec)
