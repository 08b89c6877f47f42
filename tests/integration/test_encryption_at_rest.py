"""Personal data is stored only encrypted: it decrypts back exactly, it is found by keyed hash, and the
plaintext never appears in the SQLite file (nor in PostgreSQL's raw rows read as text)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from cupx.adapters.tables.core import customer_addresses, customer_emails, customer_phones, customers
from cupx.bootstrap import Runtime
from cupx.domain.customer import normalize_email, normalize_phone
from cupx.services.imports import import_file

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
NOW = datetime(2026, 9, 8, 12, 0, tzinfo=UTC)
PII_TABLES = ("customers", "customer_phones", "customer_emails", "customer_addresses")


def sample_people() -> list[dict[str, str]]:
    with (SAMPLES / "customers.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def secrets_of(people: list[dict[str, str]]) -> set[str]:
    """Values that identify a person and must never be stored in clear."""
    out: set[str] = set()
    for p in people:
        out.update({p["full_name"], normalize_phone(p["phone"]), normalize_phone(p["phone"])[2:],
                    p["address_line1"]})
        if p["email"]:
            out.add(normalize_email(p["email"]))
    return {s for s in out if s}


def imported(runtime: Runtime, tmp_path: Path) -> list[dict[str, str]]:
    copy = tmp_path / "customers.csv"
    copy.write_bytes((SAMPLES / "customers.csv").read_bytes())
    assert import_file(runtime, "customers", copy, now=NOW).ok
    return sample_people()


def test_personal_data_round_trips_and_is_found_by_keyed_hash(runtime: Runtime, tmp_path: Path) -> None:
    people = {p["external_id"]: p for p in imported(runtime, tmp_path)}
    cipher = runtime.cipher
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(customers)).all()
        phones = {r.customer_id: r for r in conn.execute(select(customer_phones))}
        lines = {r.customer_id: r for r in conn.execute(select(customer_addresses))}
        wanted = normalize_phone(people["CUST-0007"]["phone"])
        hit = conn.execute(select(customer_phones.c.customer_id).where(
            customer_phones.c.number_hash == cipher.lookup_hash(wanted))).scalars().all()
        by_email = conn.execute(select(customer_emails.c.customer_id).where(
            customer_emails.c.address_hash == cipher.lookup_hash(people["CUST-0002"]["email"].upper()))).all()
    assert len(rows) == len(people)
    ids = {}
    for row in rows:
        person = people[row.external_id]
        ids[row.external_id] = row.id
        assert cipher.decrypt(row.name_enc) == person["full_name"]
        assert cipher.decrypt(row.dob_enc) == person["date_of_birth"]
        assert cipher.key_id_of(row.name_enc) == cipher.active_key_id
        assert cipher.decrypt(phones[row.id].number_enc) == normalize_phone(person["phone"])
        assert cipher.decrypt(lines[row.id].line1_enc) == person["address_line1"]
        assert cipher.decrypt(lines[row.id].city_enc) == person["city"]
    assert ids["CUST-0007"] in hit
    assert [r.customer_id for r in by_email] == [ids["CUST-0002"]]


def test_plaintext_never_reaches_the_database(runtime: Runtime, tmp_path: Path) -> None:
    secrets = secrets_of(imported(runtime, tmp_path))
    assert len(secrets) > 150
    if runtime.engine.dialect.name == "sqlite":
        db_file = Path(runtime.engine.url.database or "")
        assert db_file.is_file()
        with runtime.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        raw = b"".join(p.read_bytes() for p in (db_file, Path(f"{db_file}-wal")) if p.exists())
        leaked = [s for s in secrets if s.encode() in raw]
    else:
        with runtime.engine.connect() as conn:
            dump = "\n".join(str(v) for t in PII_TABLES
                             for v in conn.execute(text(f"SELECT t::text FROM {t} t")).scalars())
        leaked = [s for s in secrets if s in dump or s.encode().hex() in dump]
    assert leaked == []


def test_batch_encryption_matches_single_values_and_never_reuses_a_nonce() -> None:
    from cupx.adapters.crypto import FieldCipher

    key = "A" * 43
    cipher = FieldCipher({"k1": key, "k0": "B" * 43}, "k1", "lookup")
    values = ["Ada", "", "Zoë Ünïcode", "+13125550199"] * 50
    blobs = cipher.encrypt_many(values)
    assert [cipher.decrypt(b) for b in blobs] == values
    assert len({b[3:15] for b in blobs}) == len(values)  # a fresh 96-bit nonce per value
    assert all(cipher.key_id_of(b) == "k1" for b in blobs)
    assert cipher.lookup_hash(" Ada@Example.com ") == cipher.lookup_hash("ada@example.com")
