"""Import benchmark: N ledger rows + N/5 customers + N/5 debts into a fresh database.

    python bench/import.py --size 1000000 [--database sqlite|postgres] [--url URL] [--keep]

Files are generated deterministically (seeded) into a temporary directory, then imported through the
same service as `cupx import` (`cupx.services.imports.import_file`): customers, then debts, then the
ledger. Only the imports are timed (not generating the files, creating or migrating the database, nor
loading Python modules).
The last stdout line is JSON: {"rows", "seconds", "rows_per_s", "database"}; the line before it gives
the time per file and the CPU time of this process (on a shared machine, wall time also measures the
other processes' load).

PostgreSQL: `--url` names a server database used to create (and afterwards drop) a fresh database
`cupx_bench_<random>`; default postgresql://postgres@127.0.0.1:5432/test.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import create_engine, text

from cupx.adapters.db import normalize_url
from cupx.bootstrap import bootstrap
from cupx.config import Settings
from cupx.services.imports import import_file

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Maria"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin"]
PLACES = [("Chicago", "IL", "60601", "312"), ("Houston", "TX", "77002", "713"), ("Denver", "CO", "80202", "303"),
          ("Seattle", "WA", "98101", "206"), ("Boston", "MA", "02108", "617"), ("New York", "NY", "10001", "212"),
          ("Miami", "FL", "33130", "305"), ("Phoenix", "AZ", "85004", "602"), ("Pensacola", "FL", "32501", "850"),
          ("Portland", "OR", "97204", "503"), ("Atlanta", "GA", "30303", "404"), ("Las Vegas", "NV", "89101", "702")]
PRODUCTS = ["credit_card", "personal_loan", "telecom", "utility", "medical", "bnpl", "auto_loan"]


def generate(size: int, out: Path, seed: int = 42) -> dict[str, Path]:
    """Write customers.csv, debts.csv and ledger.csv (N/5, N/5 and N rows) into `out`."""
    rng = np.random.default_rng(seed)
    n_cust = max(size // 5, 1)
    idx = np.arange(n_cust)
    place = rng.integers(0, len(PLACES), n_cust)
    city, state, zip_code, area = (np.array([p[i] for p in PLACES])[place] for i in range(4))
    exchange = rng.integers(201, 999, n_cust)
    line = rng.integers(0, 10_000, n_cust)
    customers = pl.DataFrame({
        "external_id": [f"C{i:08d}" for i in idx],
        "full_name": [f"{FIRST[a]} {LAST[b]}" for a, b in zip(rng.integers(0, 20, n_cust), rng.integers(0, 20, n_cust),
                                                                strict=True)],
        "date_of_birth": [f"{y}-{m:02d}-{d:02d}" for y, m, d in zip(rng.integers(1945, 2004, n_cust),
                                                                      rng.integers(1, 13, n_cust),
                                                                      rng.integers(1, 29, n_cust), strict=True)],
        "phone": [f"+1{a}{x}{n:04d}" for a, x, n in zip(area, exchange, line, strict=True)],
        "email": [f"person{i}@example.com" for i in idx],
        "address_line1": [f"{100 + i % 9000} Main St" for i in idx],
        "city": city, "state": state, "postal_code": zip_code,
    })
    amounts = rng.integers(5_000, 900_000, n_cust)
    debts = pl.DataFrame({
        "external_id": [f"D{i:08d}" for i in idx], "customer_external_id": customers["external_id"],
        "creditor": "Northwind Bank", "product": np.array(PRODUCTS)[rng.integers(0, len(PRODUCTS), n_cust)],
        "currency": "USD", "original_amount": [f"{a // 100}.{a % 100:02d}" for a in amounts],
        "due_date": [f"2026-{m:02d}-{d:02d}" for m, d in zip(rng.integers(1, 9, n_cust), rng.integers(1, 29, n_cust),
                                                               strict=True)],
    })
    ledger = _ledger(size, debts, amounts, rng)
    paths = {"customers": out / "customers.csv", "debts": out / "debts.csv", "ledger": out / "ledger.csv"}
    customers.write_csv(paths["customers"])
    debts.write_csv(paths["debts"])
    ledger.write_csv(paths["ledger"])
    return paths


def _ledger(size: int, debts: pl.DataFrame, amounts: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
    """Five entries per debt: charge, fee, interest, payment, then a second payment or its reversal."""
    n = debts.height
    debt = np.repeat(np.arange(n), 5)[:size]
    pos = np.tile(np.arange(5), n)[:size]
    kinds = np.array(["charge", "fee", "interest", "payment", "payment"])[pos]
    reverse = (pos == 4) & (rng.random(len(pos)) < 0.1)
    kinds = np.where(reverse, "reversal", kinds)
    pay = amounts[debt] // 10
    minor = np.select([pos == 0, pos == 1, pos == 2], [amounts[debt], 2_500, amounts[debt] // 50], pay)
    ext = np.char.add(np.char.add("L", np.char.zfill(debt.astype(str), 8)), np.char.add("-", pos.astype(str)))
    target = np.char.add(np.char.add("L", np.char.zfill(debt.astype(str), 8)), "-3")
    return pl.DataFrame({
        "external_id": ext, "debt_external_id": debts["external_id"].to_numpy()[debt], "kind": kinds,
        "amount": [f"{m // 100}.{m % 100:02d}" for m in minor.tolist()], "currency": "USD",
        "effective_date": [f"2026-{1 + p:02d}-{1 + d % 28:02d}" for p, d in zip(pos.tolist(), debt.tolist(),
                                                                                 strict=True)],
        "reverses_external_id": np.where(reverse, target, ""),
    })


@contextmanager
def fresh_database(kind: str, url: str | None, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    server = normalize_url(url or "postgresql://postgres@127.0.0.1:5432/test")
    name = f"cupx_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cupx-bench-") as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        paths = generate(args.size, workdir)
        print(f"generated files in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        with fresh_database(args.database, args.url, workdir) as url:
            runtime = bootstrap(Settings(environment="test", database_url=url, data_dir=workdir / "var"))
            runtime.migrate()
            with runtime.uow():  # load every repository module once (some import ML libraries): not import work
                pass
            per_file: dict[str, float] = {}
            rows = 0
            cpu_start = time.process_time()
            for kind in ("customers", "debts", "ledger"):
                report = import_file(runtime, kind, paths[kind])
                if not report.ok:
                    raise SystemExit(f"{kind}: {report.rejected} rows rejected: {report.problems[:3]}")
                per_file[kind] = round(report.seconds, 2)
                rows += report.inserted
            cpu = time.process_time() - cpu_start  # this process only (all threads); the database server not
            runtime.dispose()
    seconds = sum(per_file.values())
    print(json.dumps({"per_file_seconds": per_file, "client_cpu_seconds": round(cpu, 2)}))
    print(json.dumps({"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
                      "database": args.database}))


if __name__ == "__main__":
    main()
