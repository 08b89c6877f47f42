"""Importing customers: validate, detect unchanged rows by hash, encrypt personal data, write in bulk.

Invariants:
- Personal data (name, date of birth, phone numbers, email addresses, address lines and city) is
  written only encrypted (`cipher.encrypt`), with keyed hashes for phone and email look-ups. The
  `row_hash` is a keyed hash too, so it reveals nothing about the row without the key.
- `tz_candidates` holds every zone of every ZIP, phone area code and stated zone (contract C1,
  `candidate_zones`, which is a union over its inputs: it is asked once per distinct ZIP, stated zone
  and NANP NPA-NXX prefix, the longest prefix phonenumbers' zone data uses for +1).
- Re-importing an identical row changes nothing. A changed row updates the customer, replaces its
  addresses and adds new phones and emails; phones and emails already on file keep their state
  (consent, opt-out, wrong-number), which the platform itself maintains.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import polars as pl

from cupx.compliance.timezones import candidate_zones, is_valid_zone
from cupx.domain.customer import CustomerFlag
from cupx.domain.errors import ValidationError
from cupx.services.imports.checks import Checker
from cupx.services.imports.contact_points import addresses_frame, emails_frame, phones_frame
from cupx.services.imports.ports import ImportRepository
from cupx.services.imports.reading import NESTED_COLUMNS, FileSpec

__all__ = ["SPEC", "Cipher", "import_customers"]

SPEC = FileSpec(
    "customers",
    required=("external_id", "full_name"),
    optional=("date_of_birth", "preferred_language", "phone", "phone_type", "phone_tcpa_consent", "email",
              "address_line1", "address_line2", "city", "state", "postal_code", "country", "flags",
              "customer_since", "stated_time_zone"),
    nested=NESTED_COLUMNS,
)
_SEP = "\x1f"
_TZ_MAX_CHARS = 200  # customers.tz_candidates is String(200)


class Cipher(Protocol):
    def encrypt(self, text: str) -> bytes: ...

    def encrypt_many(self, texts: list[str]) -> list[bytes]: ...

    def lookup_hash(self, value: str) -> str: ...


def _check_stated_zone(value: str) -> str:
    if not is_valid_zone(value):
        raise ValidationError(f"{value!r} is not an IANA time zone", field="stated_time_zone")
    return value


def _validate(df: pl.DataFrame) -> tuple[Checker, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    ck = Checker(df)
    ck.required("external_id", "full_name")
    ck.max_length("external_id", 100)
    ck.duplicates("external_id")
    ck.date("date_of_birth")
    ck.date("customer_since")
    ck.df = ck.df.with_columns(pl.col("preferred_language").fill_null("en"))
    ck.matches("preferred_language", r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,4})?$", "not a BCP 47 language tag (en, es)")
    ck.per_value("stated_time_zone", _check_stated_zone, pl.String())
    tokens = pl.col("flags").str.replace_all(",", ";").str.split(";").list.eval(
        pl.element().str.strip_chars().str.to_lowercase()).list.eval(pl.element().filter(pl.element() != ""))
    ck.df = ck.df.with_columns(tokens.list.unique().list.sort().list.join(",").fill_null("").alias("flags"),
                               tokens.alias("__flags"))
    allowed = [f.value for f in CustomerFlag]
    bad = pl.col("__flags").list.eval(pl.element().filter(~pl.element().is_in(allowed)))
    ck.flag(bad.list.len() > 0, "flags", pl.format("unknown flag(s) {}; allowed: {}", bad.list.join(","),
                                                      pl.lit(", ".join(allowed))))
    ck.df = ck.df.drop("__flags")
    phones = phones_frame(ck.df, ck)
    emails = emails_frame(ck.df, ck)
    addresses = addresses_frame(ck.df, ck)
    return ck, phones, emails, addresses


def _row_hashes(good: pl.DataFrame, phones: pl.DataFrame, emails: pl.DataFrame, addresses: pl.DataFrame,
                cipher: Cipher) -> pl.Series:
    """A keyed hash of the canonical row: main fields plus sorted contact points."""
    def canon(frame: pl.DataFrame, cols: list[str], name: str) -> pl.DataFrame:
        line = pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in cols], separator=_SEP)
        return frame.group_by("row").agg(line.sort().str.join("\x1e").alias(name))

    main_cols = ["external_id", "full_name", "date_of_birth", "preferred_language", "flags", "customer_since",
                 "stated_time_zone"]
    frame = good.select("row", pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in main_cols],
                                             separator=_SEP).alias("main"))
    for part in (canon(phones, ["number", "type", "tcpa_consent", "provenance"], "p"),
                 canon(emails, ["address", "provenance"], "e"),
                 canon(addresses, ["line1", "line2", "city", "state", "postal_code", "country", "place"], "a")):
        frame = frame.join(part, on="row", how="left", maintain_order="left")
    text = frame.select(pl.concat_str([pl.col(c).fill_null("") for c in ("main", "p", "e", "a")],
                                      separator="\x1d"))[:, 0]
    # One keyed BLAKE2b per row; its key is derived from the look-up key, so the hash reveals nothing
    # without it (a plain hash of a name and phone could be guessed).
    key = bytes.fromhex(cipher.lookup_hash("cupx:customers.row_hash"))[:32]
    return pl.Series("row_hash", [hashlib.blake2b(t.encode(), key=key, digest_size=32).hexdigest() for t in text],
                     dtype=pl.String)


def _zone_pairs(frame: pl.DataFrame, key: pl.Expr, value: str,
                zones_of: Callable[[str], tuple[str, ...]]) -> pl.DataFrame:
    """(row, zone) pairs: `zones_of` is called once per distinct key (on one representative value)."""
    keyed = frame.select("row", key.alias("key"), pl.col(value).alias("value")).drop_nulls("value")
    reps = keyed.unique("key", keep="first", maintain_order=True)
    zones = pl.DataFrame({"key": reps["key"], "zone": [list(zones_of(v)) for v in reps["value"]]},
                         schema={"key": pl.String, "zone": pl.List(pl.String)})
    return keyed.join(zones, on="key").explode("zone").select("row", "zone")


def _tz_candidates(todo: pl.DataFrame, phones: pl.DataFrame, addresses: pl.DataFrame) -> pl.Series:
    """Comma-joined sorted zones per row of `todo`: the union over its ZIPs, phones and stated zone.

    `candidate_zones` is a union over its inputs (contract C1), so each distinct input is asked once:
    ZIPs and stated zones as they are, +1 numbers per NPA-NXX (the longest prefix phonenumbers' zone
    data uses for +1), other numbers one by one.
    """
    number = pl.col("number")
    pairs = pl.concat([
        _zone_pairs(phones, pl.when(number.str.starts_with("+1")).then(number.str.slice(0, 8)).otherwise(number),
                    "number", lambda n: candidate_zones(phone_numbers=[n])),
        _zone_pairs(addresses, pl.col("postal_code"), "postal_code", lambda z: candidate_zones(postal_codes=[z])),
        _zone_pairs(todo, pl.col("stated_time_zone"), "stated_time_zone", lambda z: candidate_zones(stated=[z])),
    ])
    joined = pairs.drop_nulls("zone").unique().group_by("row").agg(pl.col("zone").sort().str.join(","))
    return todo.select("row").join(joined, on="row", how="left", maintain_order="left")["zone"].fill_null("")


def import_customers(df: pl.DataFrame, repo: ImportRepository, cipher: Cipher, now: datetime,
                     progress: Callable[[str, int, int], None]) -> tuple[Checker, dict[str, int]]:
    """Validate and write a customers frame; returns the checker (problems) and the counts."""
    ck, phones, emails, addresses = _validate(df)
    good = ck.good()
    ok_rows = good["row"].implode()
    phones, emails, addresses = (f.filter(pl.col("row").is_in(ok_rows)) for f in (phones, emails, addresses))
    good = good.with_columns(_tz_candidates(good, phones, addresses).alias("tz_candidates"))
    # Dropping zones would let the guard call at a wrong local time, so a row that cannot store them all
    # is rejected rather than truncated.
    too_many = pl.col("tz_candidates").str.len_chars() > _TZ_MAX_CHARS
    ck.flag_rows(good.filter(too_many).select("row", pl.lit("tz_candidates").alias("field"), pl.lit(
        f"phones and addresses span more time zones than fit in {_TZ_MAX_CHARS} characters").alias("reason")))
    good = good.filter(~too_many)
    progress("hashing", 0, good.height)
    good = good.with_columns(_row_hashes(good, phones, emails, addresses, cipher))
    existing = repo.lookup("customers", "external_id", good["external_id"].to_list(), ["external_id", "id", "row_hash"])
    good = good.join(existing.rename({"row_hash": "__old_hash"}), on="external_id", how="left", maintain_order="left")
    unchanged = good.filter(pl.col("__old_hash") == pl.col("row_hash"))
    todo = good.filter(pl.col("id").is_null() | (pl.col("__old_hash") != pl.col("row_hash")))
    new = todo.filter(pl.col("id").is_null())
    if new.height:
        first = repo.allocate_ids("customers", new.height)
        new = new.with_columns(pl.int_range(first, first + new.height, dtype=pl.Int64).alias("id"))
    changed = todo.filter(pl.col("id").is_not_null())
    todo = pl.concat([new, changed])
    todo_rows = todo["row"].implode()
    ids = todo.select("row", pl.col("id").alias("customer_id"))
    phones, emails, addresses = (f.filter(pl.col("row").is_in(todo_rows)).join(ids, on="row")
                                 for f in (phones, emails, addresses))
    progress("encrypting", 0, todo.height)
    rows = _customer_rows(todo, cipher, now)
    progress("encrypting", todo.height, todo.height)
    phone_rows, email_rows, address_rows = _child_rows(phones, emails, addresses, cipher)
    new_ids = new["id"].implode()
    progress("writing", 0, todo.height)
    repo.insert("customers", rows.filter(pl.col("id").is_in(new_ids)))
    repo.update("customers", rows.filter(~pl.col("id").is_in(new_ids)).drop("external_id", "created_at"))
    changed_ids = changed["id"].to_list()
    if changed_ids:
        repo.delete("customer_addresses", "customer_id", changed_ids)
        phone_rows = _only_missing(repo, "customer_phones", "number_hash", phone_rows, changed_ids)
        email_rows = _only_missing(repo, "customer_emails", "address_hash", email_rows, changed_ids)
    repo.insert("customer_phones", phone_rows)
    repo.insert("customer_emails", email_rows)
    repo.insert("customer_addresses", address_rows)
    progress("writing", todo.height, todo.height)
    return ck, {"inserted": new.height, "updated": changed.height, "unchanged": unchanged.height}


def _customer_rows(todo: pl.DataFrame, cipher: Cipher, now: datetime) -> pl.DataFrame:
    names = _encrypted(cipher, todo["full_name"].to_list())
    dobs = _encrypted(cipher, [None if d is None else d.isoformat() for d in todo["date_of_birth"]])
    return todo.select(
        "id", "external_id",
        pl.Series("name_enc", names, dtype=pl.Binary), pl.Series("dob_enc", dobs, dtype=pl.Binary),
        "preferred_language", "flags", "tz_candidates",
        pl.col("stated_time_zone").alias("stated_tz"), "customer_since", "row_hash",
        pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at"),
    )


def _child_rows(phones: pl.DataFrame, emails: pl.DataFrame, addresses: pl.DataFrame,
                cipher: Cipher) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    lookup = cipher.lookup_hash
    numbers = phones["number"].to_list()
    phone_rows = phones.select(
        "customer_id", pl.Series("number_enc", _encrypted(cipher, numbers), dtype=pl.Binary),
        pl.Series("number_hash", [lookup(n) for n in numbers], dtype=pl.String),
        pl.when(pl.col("number").str.starts_with("+1")).then(pl.col("number").str.slice(2, 3)).alias("area_code"),
        "type", "provenance", "tcpa_consent",
        pl.when(pl.col("tcpa_consent")).then(pl.lit("import")).alias("consent_source"))
    addrs = emails["address"].to_list()
    email_rows = emails.select(
        "customer_id", pl.Series("address_enc", _encrypted(cipher, addrs), dtype=pl.Binary),
        pl.Series("address_hash", [lookup(a) for a in addrs], dtype=pl.String), "provenance")

    def enc_col(name: str) -> pl.Series:
        return pl.Series(f"{name}_enc", _encrypted(cipher, addresses[name].to_list()), dtype=pl.Binary)

    address_rows = addresses.select("customer_id", enc_col("line1"), enc_col("line2"), enc_col("city"), "state",
                                    "postal_code", "country", "place")
    return phone_rows, email_rows, address_rows


def _encrypted(cipher: Cipher, values: list[str | None]) -> list[bytes | None]:
    """Encrypt the present values in one batch; missing ones stay missing."""
    present = [v for v in values if v is not None]
    if len(present) == len(values):
        return list(cipher.encrypt_many(present))
    blobs = iter(cipher.encrypt_many(present))
    return [None if v is None else next(blobs) for v in values]


def _only_missing(repo: ImportRepository, table: str, hash_col: str, rows: pl.DataFrame,
                  customer_ids: list[Any]) -> pl.DataFrame:
    """Phones/emails of updated customers that are not on file yet (those on file keep their state)."""
    have = repo.lookup(table, "customer_id", customer_ids, ["customer_id", hash_col])
    return rows.join(have, on=["customer_id", hash_col], how="anti", maintain_order="left")
