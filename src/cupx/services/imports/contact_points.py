"""Customer contact points in an import: phones, emails and addresses as long frames keyed by `row`.

A CSV row has at most one of each (flat columns `phone`, `email`, `address_*`); a JSON Lines row may also
carry arrays (`phones`, `emails`, `addresses`). Both become one frame per kind with the file row number,
so they are validated and normalised together: phones to E.164 (`normalize_phone`), emails with
`normalize_email`, addresses with the rules of `cupx.domain.customer.Address`. Every bad contact point
is a problem on its row; nothing is silently dropped.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import polars as pl
from phonenumbers.phonemetadata import PhoneMetadata

from cupx.domain.customer import PhoneType, PlaceKind, normalize_email, normalize_phone
from cupx.domain.errors import CupxError
from cupx.services.imports.checks import FALSE_WORDS, TRUE_WORDS, Checker

__all__ = ["addresses_frame", "emails_frame", "fast_us_e164", "phones_frame"]

_PROVENANCE = r"^[a-z][a-z_]{0,39}$"  # a snake_case word: consumer_provided, creditor_provided, skip_trace, ...
_PROVENANCE_REASON = "not a provenance word (consumer_provided, creditor_provided, skip_trace, ...)"
_PROBLEM_SCHEMA = {"row": pl.Int64, "field": pl.String, "reason": pl.String}
_ADDRESS_COLS = ("line1", "line2", "city", "state", "postal_code", "country", "place")


def _nested(df: pl.DataFrame, column: str) -> list[tuple[int, dict[str, Any], str]]:
    """(row, object, field prefix) for every element of a JSON array column."""
    out: list[tuple[int, dict[str, Any], str]] = []
    for row, text in df.select("row", column).drop_nulls(column).iter_rows():
        for i, item in enumerate(json.loads(text)):
            out.append((row, item if isinstance(item, dict) else {"__bad": item}, f"{column}[{i}]"))
    return out


def _without(message: str, value: str) -> str:
    """A reason that does not repeat the personal value (the CLI prints reasons; logs must not hold PII)."""
    return message.replace(repr(value), "value").replace(value, "value") if value else message


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip() or None


# A plainly written North American number: optional +1 / 1, area code (maybe in parentheses), 7 digits.
_NANP_TEXT = r"^(?:\+1|1)?[ .\-]*\(?([2-9][0-9]{2})\)?[ .\-]*([0-9]{3})[ .\-]*([0-9]{4})$"


@lru_cache(maxsize=1)
def _us_patterns() -> tuple[str, str]:
    """phonenumbers' own US metadata: the general pattern and the union of the number-type patterns."""
    meta = PhoneMetadata.metadata_for_region("US")
    assert meta is not None and meta.general_desc is not None
    assert meta.leading_digits is None  # US is the NANP main region
    kinds = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip",
             "pager", "uan", "voicemail")
    descs = [getattr(meta, k) for k in kinds]
    typed = "|".join(f"(?:{d.national_number_pattern})" for d in descs
                     if d is not None and d.national_number_pattern and 10 in (d.possible_length or (10,)))
    return f"^(?:{meta.general_desc.national_number_pattern})$", f"^(?:{typed})$"


def fast_us_e164(raw: pl.Series) -> pl.Series:
    """E.164 for numbers phonenumbers would accept as valid US numbers, null for anything else.

    Exactly `normalize_phone`'s answer where not null: US is the first NANP region and has no leading
    digits, so a 10-digit national number matching a US number-type pattern is parsed as a valid US
    number. Everything else (other countries, extensions, odd formats) goes through `normalize_phone`.
    """
    general, typed = _us_patterns()
    parts = pl.col("raw").str.extract_groups(_NANP_TEXT)
    frame = pl.DataFrame({"raw": raw}, schema={"raw": pl.String}).select(
        pl.concat_str([parts.struct.field(k) for k in ("1", "2", "3")]).alias("n"))
    return frame.select(pl.when(pl.col("n").str.contains(general) & pl.col("n").str.contains(typed))
                        .then("+1" + pl.col("n")))[:, 0]


def phones_frame(df: pl.DataFrame, checker: Checker) -> pl.DataFrame:
    """Columns row, number (E.164), type, tcpa_consent, provenance; problems go to `checker`."""
    flat = df.filter(pl.col("phone").is_not_null()).select(
        "row", pl.col("phone").alias("number"), pl.col("phone_type").alias("type"),
        pl.col("phone_tcpa_consent").alias("tcpa_consent"), pl.lit(None, pl.String).alias("provenance"),
        pl.lit("phone").alias("where"))
    nested = [(row, _text(o.get("number")), _text(o.get("type")), _text(o.get("tcpa_consent")),
               _text(o.get("provenance")), where) for row, o, where in _nested(df, "phones")]
    frame = pl.concat([flat, pl.DataFrame(nested, schema=flat.schema, orient="row")]) if nested else flat
    frame = frame.with_columns(fast_us_e164(frame["number"]).alias("e164"))
    numbers: dict[str, str | None] = {}
    problems: list[tuple[int, str, str]] = []
    # Only numbers the vectorised US path could not settle go through phonenumbers one by one.
    for row, raw, where in frame.filter(pl.col("e164").is_null()).select("row", "number", "where").iter_rows():
        if raw is None:
            problems.append((row, f"{where}.number", "required"))
        elif raw in numbers:
            if numbers[raw] is None:
                problems.append((row, where, "not a valid phone number"))
        else:
            try:
                numbers[raw] = normalize_phone(raw, field_name=where)
            except CupxError as exc:
                numbers[raw] = None
                problems.append((row, where, _without(exc.message, raw)))
    checker.flag_rows(pl.DataFrame(problems, schema=_PROBLEM_SCHEMA, orient="row"))
    flat_field = pl.col("where") == "phone"
    consent = pl.col("tcpa_consent").str.to_lowercase()
    checker.flag_rows(pl.concat([
        frame.filter(pl.col("type").is_not_null() & ~pl.col("type").is_in([t.value for t in PhoneType])).select(
            "row", pl.when(flat_field).then(pl.lit("phone_type")).otherwise(pl.col("where") + ".type").alias("field"),
            pl.lit(f"must be one of {', '.join(PhoneType)}").alias("reason")),
        frame.filter(pl.col("provenance").is_not_null() & ~pl.col("provenance").str.contains(_PROVENANCE)).select(
            "row", (pl.col("where") + ".provenance").alias("field"), pl.lit(_PROVENANCE_REASON).alias("reason")),
        frame.filter(consent.is_not_null() & ~consent.is_in([*TRUE_WORDS, *FALSE_WORDS])).select(
            "row", pl.when(flat_field).then(pl.lit("phone_tcpa_consent"))
            .otherwise(pl.col("where") + ".tcpa_consent").alias("field"),
            pl.lit("not a boolean (true/false)").alias("reason")),
    ]))
    mapped = pl.DataFrame({"__raw": list(numbers), "__e164": list(numbers.values())},
                          schema={"__raw": pl.String, "__e164": pl.String})
    return (frame.join(mapped, left_on="number", right_on="__raw", how="left", maintain_order="left")
            .select("row", pl.coalesce("e164", "__e164").alias("number"),
                    pl.col("type").fill_null(PhoneType.MOBILE.value),
                    pl.col("tcpa_consent").str.to_lowercase().is_in(list(TRUE_WORDS)).fill_null(False),
                    pl.col("provenance").fill_null("creditor_provided"))
            .unique(["row", "number"], keep="first", maintain_order=True))


def emails_frame(df: pl.DataFrame, checker: Checker) -> pl.DataFrame:
    """Columns row, address (normalised), provenance."""
    flat = [(row, email, None, "email") for row, email in df.select("row", "email").drop_nulls("email").iter_rows()]
    nested = [(row, _text(o.get("address")), _text(o.get("provenance")), where)
              for row, o, where in _nested(df, "emails")]
    out: list[tuple[int, str, str]] = []
    problems: list[tuple[int, str, str]] = []
    for row, raw, prov, where in flat + nested:
        if prov is not None and not re.match(_PROVENANCE, prov):
            problems.append((row, f"{where}.provenance", _PROVENANCE_REASON))
            continue
        try:
            out.append((row, normalize_email(raw or "", field_name=where), prov or "creditor_notice"))
        except CupxError as exc:
            problems.append((row, where, _without(exc.message, raw or "")))
    checker.flag_rows(pl.DataFrame(problems, schema=_PROBLEM_SCHEMA, orient="row"))
    return pl.DataFrame(out, schema={"row": pl.Int64, "address": pl.String, "provenance": pl.String},
                        orient="row").unique(["row", "address"], keep="first", maintain_order=True)


def addresses_frame(df: pl.DataFrame, checker: Checker) -> pl.DataFrame:
    """Columns row, line1, line2, city, state, postal_code, country, place (validated)."""
    flat_cols = ["address_line1", "address_line2", "city", "state", "postal_code", "country"]
    flat = df.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in flat_cols)).select(
        "row", *(pl.col(c).alias(n) for c, n in zip(flat_cols, _ADDRESS_COLS[:6], strict=True)),
        pl.lit(None, pl.String).alias("place"), pl.lit("address").alias("where"))
    nested = [(row, *(_text(o.get(k)) for k in _ADDRESS_COLS), where) for row, o, where in _nested(df, "addresses")]
    frame = pl.concat([flat, pl.DataFrame(nested, schema=flat.schema, orient="row")]) if nested else flat
    frame = frame.with_columns(pl.col("country").fill_null("US").str.to_uppercase(),
                               pl.col("state").str.to_uppercase(), pl.col("place").fill_null(PlaceKind.HOME.value))
    prefix = pl.when(pl.col("where") == "address").then(pl.lit("")).otherwise(pl.col("where") + ".")
    field = {"line1": pl.when(pl.col("where") == "address").then(pl.lit("address_line1"))
             .otherwise(pl.col("where") + ".line1")}
    us = pl.col("country") == "US"
    rules = [
        (pl.col("line1").is_null(), field["line1"], "required when an address is given"),
        (pl.col("city").is_null(), prefix + "city", "required when an address is given"),
        (pl.col("postal_code").is_null(), prefix + "postal_code", "required when an address is given"),
        (pl.col("postal_code").str.len_chars() > 16, prefix + "postal_code", "longer than 16 characters"),
        (pl.col("state").str.len_chars() > 8, prefix + "state", "longer than 8 characters"),
        (~pl.col("country").str.contains(r"^[A-Z]{2}$"), prefix + "country", "not a two-letter country code"),
        (us & pl.col("postal_code").is_not_null() & ~pl.col("postal_code").str.contains(r"^[0-9]{5}(-[0-9]{4})?$"),
         prefix + "postal_code", "not a US ZIP code"),
        (us & ~pl.col("state").fill_null("").str.contains(r"^[A-Z]{2}$"), prefix + "state",
         "a US address needs a two-letter state"),
        (~pl.col("place").is_in([p.value for p in PlaceKind]), prefix + "place",
         f"must be one of {', '.join(PlaceKind)}"),
    ]
    problems = [frame.filter(mask.fill_null(False)).select("row", where.alias("field"), pl.lit(reason).alias("reason"))
                for mask, where, reason in rules]
    checker.flag_rows(pl.concat(problems))
    return frame.drop("where")
