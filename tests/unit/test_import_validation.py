"""Import validation without a database: file reading, vectorised checks (agreeing with parse_money), and the
per-kind rules run against an in-memory fake of the ImportRepository port."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cupx.adapters.bulk import polars_schema
from cupx.domain.customer import normalize_phone
from cupx.domain.errors import CupxError, ValidationError
from cupx.domain.money import parse_money
from cupx.services.imports import customers, debts, ledger
from cupx.services.imports.checks import Checker
from cupx.services.imports.contact_points import fast_us_e164
from cupx.services.imports.ports import ImportRepository
from cupx.services.imports.reading import read_file

NOW = datetime(2026, 9, 8, 12, 0, tzinfo=UTC)


def noop(stage: str, completed: int, total: int) -> None:
    del stage, completed, total


class FakeRepo(ImportRepository):
    """Tables as lists of dicts; enough of the port for the validation rules."""

    def __init__(self, **tables: list[dict[str, Any]]) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {k: list(v) for k, v in tables.items()}

    def lookup(self, table: str, key: str, values: Sequence[Any], columns: Sequence[str]) -> pl.DataFrame:
        wanted = set(values)
        rows = [{c: r.get(c) for c in columns} for r in self.tables.get(table, []) if r.get(key) in wanted]
        return pl.DataFrame(rows, schema=polars_schema(table, columns))

    def allocate_ids(self, table: str, n: int) -> int:
        return len(self.tables.get(table, [])) + 1

    def insert(self, table: str, frame: pl.DataFrame) -> int:
        self.tables.setdefault(table, []).extend(frame.to_dicts())
        return frame.height

    def update(self, table: str, frame: pl.DataFrame) -> int:
        return frame.height

    def delete(self, table: str, column: str, values: Sequence[Any]) -> int:
        return 0


class PlainCipher:
    def encrypt(self, text: str) -> bytes:
        return b"enc:" + text[::-1].encode()

    def encrypt_many(self, texts: list[str]) -> list[bytes]:
        return [self.encrypt(t) for t in texts]

    def lookup_hash(self, value: str) -> str:
        return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def csv_file(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- reading ------------------------------------------------------------------------------------------

def test_csv_rows_are_numbered_from_two_and_blank_cells_are_null(tmp_path: Path) -> None:
    df = read_file(csv_file(tmp_path, "external_id,full_name,phone\nC1, Ada ,\nC2,Bob,+13125550199\n"),
                   customers.SPEC)
    assert df["row"].to_list() == [2, 3]
    assert df["full_name"].to_list() == ["Ada", "Bob"] and df["phone"].to_list() == [None, "+13125550199"]
    assert df["email"].to_list() == [None, None]


@pytest.mark.parametrize(("text", "field"), [
    ("external_id,full_name,colour\n", "colour"),
    ("external_id,phone\n", "full_name"),
    ("external_id,full_name,full_name\n", "full_name"),
])
def test_bad_header_names_the_column(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        read_file(csv_file(tmp_path, text), customers.SPEC)
    assert err.value.field == field and err.value.row == 1


def test_ragged_csv_is_malformed(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="malformed CSV"):
        read_file(csv_file(tmp_path, "external_id,full_name\nC1,Ada,extra,more\n"), customers.SPEC)


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"external_id,full_name\nC1,Ada\nC2,Zo\xeb\n")
    with pytest.raises(ValidationError, match="not UTF-8") as err:
        read_file(path, customers.SPEC)
    assert err.value.row == 3


def test_nul_characters_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="NUL character") as err:
        read_file(csv_file(tmp_path, "external_id,full_name\nC1,Ada\nC2,Bo\x00b\n"), customers.SPEC)
    assert err.value.row == 3


@pytest.mark.parametrize(("line", "needle"), [
    ("[1]", "line 2 is not a JSON object"),
    ('{"external_id": ', "line 2 is not valid JSON"),
    ('{"external_id": "C2", "shoe": 9}', "unknown key 'shoe' on line 2"),
    ('{"external_id": "C2", "full_name": {"first": "Ada"}}', "full_name"),
])
def test_bad_json_lines_name_the_line(tmp_path: Path, line: str, needle: str) -> None:
    path = csv_file(tmp_path, '{"external_id": "C1", "full_name": "Ada"}\n' + line + "\n", "f.jsonl")
    with pytest.raises(ValidationError, match=needle):
        read_file(path, customers.SPEC)


def test_json_lines_values_become_csv_text(tmp_path: Path) -> None:
    rows = [{"external_id": "D1", "customer_external_id": "C1", "creditor": "Acme", "product": "bnpl",
             "currency": "USD", "original_amount": 12.5, "due_schedule": [["2026-01-01", "5.00"], ["2026-02-01", 7.5]]}]
    path = csv_file(tmp_path, "\n".join(json.dumps(r) for r in rows) + "\n\n", "d.jsonl")
    df = read_file(path, debts.SPEC)
    assert df.row(0, named=True)["original_amount"] == "12.5"
    assert df.row(0, named=True)["due_schedule"] == "2026-01-01:5.00;2026-02-01:7.5"
    assert df["row"].to_list() == [1]


# -- vectorised checks ---------------------------------------------------------------------------------

def amounts_via_checker(texts: list[str], currency: str) -> list[int | None]:
    ck = Checker(pl.DataFrame({"row": list(range(len(texts))), "amount": texts, "currency": [currency] * len(texts)},
                              schema={"row": pl.Int64, "amount": pl.String, "currency": pl.String}))
    ck.amount("amount", "currency", signed=True)
    bad = set(ck.rejected_rows().to_list())
    return [None if i in bad else v for i, v in enumerate(ck.df["amount"].to_list())]


def via_parse_money(text: str, currency: str) -> int | None:
    try:
        minor = parse_money(text, currency).minor
    except CupxError:
        return None
    return None if minor == 0 or abs(minor) >= 10**15 else minor


amount_text = st.one_of(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=4).map(str),
    st.from_regex(r"\A[+-]?\d{1,6}(\.\d{0,5})?\Z"),
    st.sampled_from(["", "abc", "1,000.00", "1e3", "1E-2", ".5", "5.", " 12.30 ", "--1", "NaN", "Infinity", "1e30",
                     "999999999999999", "-99999999999999.99"]),
)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(amount_text, min_size=1, max_size=20), currency=st.sampled_from(["USD", "JPY", "BHD", "EUR"]))
def test_vectorised_amounts_agree_with_parse_money(texts: list[str], currency: str) -> None:
    texts = [t for t in texts if t.strip()]  # blank cells are null after reading, checked by `required`
    assert amounts_via_checker([t.strip() for t in texts], currency) == [
        via_parse_money(t, currency) for t in texts]


def test_dates_instants_and_booleans() -> None:
    ck = Checker(pl.DataFrame({"row": [2, 3, 4], "d": ["2026-02-28", "2026-02-30", "28/02/2026"],
                               "at": ["2026-09-08T09:10:00-05:00", "2026-09-08T09:10:00", "2026-09-08T14:10:00Z"],
                               "b": ["yes", "maybe", None]}))
    ck.date("d")
    ck.instant("at")
    ck.boolean("b")
    problems = {(r, f) for r, f, _ in ck.problems().iter_rows()}
    assert problems == {(3, "d"), (4, "d"), (3, "at"), (3, "b")}
    assert ck.df["d"][0] == date(2026, 2, 28)
    assert ck.df["at"].to_list()[0] == ck.df["at"].to_list()[2] == datetime(2026, 9, 8, 14, 10, tzinfo=UTC)
    assert ck.df["b"].to_list() == [True, False, False]


def test_duplicates_name_the_first_row() -> None:
    ck = Checker(pl.DataFrame({"row": [2, 3, 4], "external_id": ["A", "B", "A"]}))
    ck.duplicates("external_id")
    assert ck.problems().rows() == [(4, "external_id", "duplicate A (first at row 2)")]


# -- per-kind rules against the fake repository -------------------------------------------------------------

def ledger_frame(tmp_path: Path, body: str) -> pl.DataFrame:
    head = "external_id,debt_external_id,kind,amount,currency,effective_date,component,reverses_external_id\n"
    return read_file(csv_file(tmp_path, head + body), ledger.SPEC)


def test_ledger_rules(tmp_path: Path) -> None:
    repo = FakeRepo(debts=[{"external_id": "D1", "id": 1, "currency": "USD"},
                           {"external_id": "D2", "id": 2, "currency": "JPY"}])
    df = ledger_frame(tmp_path, "\n".join([
        "L1,D1,charge,100.00,USD,2026-01-01,,",          # 2 ok
        "L2,D1,adjustment,-1.50,USD,2026-01-02,,",       # 3 adjustment without component
        "L3,D1,fee,5,USD,2026-01-02,interest,",          # 4 wrong component
        "L4,D1,payment,5,USD,2026-01-02,,L1",            # 5 only reversals name a target
        "L5,D1,reversal,100,USD,2026-01-03,,L1",         # 6 ok, in-file target
        "L6,D2,charge,100.5,JPY,2026-01-03,,",           # 7 JPY has no decimals
        "L7,D1,writeoff,5,USD,2026-01-03,,",             # 8 unknown kind
        "L8,D1,reversal,5,USD,2026-01-03,,L5",           # 9 reversal of a reversal
        "L9,D1,adjustment,2.00,USD,2026-01-03,fees,",    # 10 ok
    ]) + "\n")

    ck, counts = ledger.import_ledger(df, repo, NOW, noop)

    fields = {(r, f) for r, f, _ in ck.problems().iter_rows()}
    assert fields == {(3, "component"), (4, "component"), (5, "reverses_external_id"), (7, "amount"), (8, "kind"),
                      (9, "reverses_external_id")}
    assert counts["inserted"] == 3
    stored = {r["external_id"]: r for r in repo.tables["ledger_entries"]}
    assert stored["L5"]["reverses_id"] == stored["L1"]["id"] and stored["L9"]["component"] == "fees"
    assert stored["L1"]["posted_at"] == NOW and stored["L1"]["source"] == "import"


def test_debts_need_a_known_customer_and_a_due_date(tmp_path: Path) -> None:
    repo = FakeRepo(customers=[{"external_id": "C1", "id": 7}])
    head = "external_id,customer_external_id,creditor,product,currency,original_amount,due_date,due_schedule,status\n"
    df = read_file(csv_file(tmp_path, head + "\n".join([
        "D1,C1,Acme,credit_card,USD,10.00,2026-01-01,,",
        "D2,C9,Acme,credit_card,USD,10.00,2026-01-01,,",
        "D3,C1,Acme,credit_card,USD,10.00,,,",
        "D4,C1,Acme,spaceship,ZZZ,10.00,2026-01-01,,",
        "D5,C1,Acme,bnpl,USD,10.00,,2026-02-01:5;2026-01-01:5,",
        "D6,C1,Acme,bnpl,USD,10.00,,2026-01-01:5;2026-02-01:5.00,in_arrangement",
    ]) + "\n"), debts.SPEC)

    ck, counts = debts.import_debts(df, repo, NOW, noop)

    fields = {(r, f) for r, f, _ in ck.problems().iter_rows()}
    assert fields == {(3, "customer_external_id"), (4, "due_date"), (5, "product"), (5, "currency"),
                      (6, "due_schedule")}
    stored = {r["external_id"]: r for r in repo.tables["debts"]}
    assert counts["inserted"] == 2 and stored["D1"]["customer_id"] == 7
    assert json.loads(stored["D1"]["due_schedule"]) == [["2026-01-01", 1000]]
    assert json.loads(stored["D6"]["due_schedule"]) == [["2026-01-01", 500], ["2026-02-01", 500]]
    assert stored["D6"]["status"] == "in_arrangement" and stored["D1"]["status"] == "current"


def test_customers_are_normalised_and_encrypted(tmp_path: Path) -> None:
    repo = FakeRepo()
    head = "external_id,full_name,phone,phone_type,email,address_line1,city,state,postal_code,flags,stated_time_zone\n"
    df = read_file(csv_file(tmp_path, head + "\n".join([
        "C1,Ada Lovelace,(312) 555-0199,mobile,Ada@Example.COM,1 Main St,Chicago,il,60601,Vulnerable,",
        "C2,Bob,312 555 0199,pager,bob@,1 Main St,Chicago,,6060,ghost,Mars/Base",
    ]) + "\n"), customers.SPEC)

    ck, counts = customers.import_customers(df, repo, PlainCipher(), NOW, noop)

    fields = {(r, f) for r, f, _ in ck.problems().iter_rows()}
    assert fields == {(3, "phone_type"), (3, "email"), (3, "state"), (3, "postal_code"), (3, "flags"),
                      (3, "stated_time_zone")}
    assert counts == {"inserted": 1, "updated": 0, "unchanged": 0}
    (row,) = repo.tables["customers"]
    assert row["name_enc"] == b"enc:" + b"ecalevoL adA" and row["flags"] == "vulnerable"
    assert row["tz_candidates"] == "America/Chicago"
    (phone,) = repo.tables["customer_phones"]
    assert phone["number_hash"] == PlainCipher().lookup_hash("+13125550199") and phone["area_code"] == "312"
    (email,) = repo.tables["customer_emails"]
    assert email["address_hash"] == PlainCipher().lookup_hash("ada@example.com")
    (address,) = repo.tables["customer_addresses"]
    assert address["state"] == "IL" and address["line1_enc"] == b"enc:" + b"tS niaM 1"


nanp_text = st.builds(
    lambda prefix, area, exchange, line, seps: f"{prefix}{seps[0]}{area}{seps[1]}{exchange}{seps[2]}{line}",
    st.sampled_from(["", "+1", "1", "+1 ", "1-"]),
    st.one_of(st.from_regex(r"\A[0-9]{3}\Z"), st.sampled_from(["312", "850", "800", "900", "523", "983", "555"])),
    st.from_regex(r"\A[0-9]{3}\Z"), st.from_regex(r"\A[0-9]{4}\Z"),
    st.tuples(*[st.sampled_from(["", " ", "-", ".", ")", ") "])] * 3),
)


@settings(max_examples=40, deadline=None)
@given(texts=st.lists(nanp_text, min_size=1, max_size=40))
def test_fast_us_phone_path_agrees_with_normalize_phone(texts: list[str]) -> None:
    fast = fast_us_e164(pl.Series(texts, dtype=pl.String)).to_list()
    for text, e164 in zip(texts, fast, strict=True):
        if e164 is not None:  # where the fast path answers, it is normalize_phone's answer
            assert normalize_phone(text) == e164


def test_fast_us_phone_path_covers_plain_us_numbers() -> None:
    texts = ["(312) 555-0199", "+1 312 555 0199", "13125550199", "1-850-555-0100", "+44 20 7946 0958", "312555019"]
    assert fast_us_e164(pl.Series(texts)).to_list() == ["+13125550199"] * 3 + ["+18505550100", None, None]
