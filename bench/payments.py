"""Benchmark: N payments posted over HTTP by concurrent clients to CU-PX served by Uvicorn on PostgreSQL.

    python bench/payments.py --size 10000 [--clients 8] [--workers 2] [--pg postgresql://postgres@127.0.0.1:5432/test]

It creates its own database on the PostgreSQL server (dropped at the end), seeds customers with three
debts each (small, medium, large, so oldest-first allocation spills across debts), starts
`cupx serve --workers W --no-access-log` as a subprocess, and posts the payments from `--clients` threads, each
with its own keep-alive `httpx.Client` and a unique `Idempotency-Key`. Afterwards it checks every
debt's ledger balance against the expected waterfall of what its customer paid (the final state does
not depend on the order payments arrived in) and the credits held. Last stdout line:
{"payments", "per_s", "p50_ms", "p99_ms", "errors", "balance_mismatches"}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, func, insert, select, text

from cupx.adapters.db import make_engine, migrate, normalize_url
from cupx.adapters.tables.core import customers, debts, ledger_entries
from cupx.adapters.tables.payments import payments
from cupx.bootstrap import bootstrap
from cupx.config import Settings
from cupx.domain.money import allocate_in_order
from cupx.services.staff import create_token, create_user

CAPACITIES = (5_000, 40_000, 10_000_000)  # three debts per customer, oldest first


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(url: str, n_customers: int) -> tuple[dict[int, list[int]], str]:
    engine = make_engine(url)
    migrate(engine)
    rt = bootstrap(Settings(environment="test", database_url=url), engine=engine)
    now = datetime.now(UTC)
    blob = rt.cipher.encrypt("Bench Customer")
    with engine.begin() as conn:
        conn.execute(insert(customers), [{"external_id": f"BC{i}", "name_enc": blob, "row_hash": "b", "created_at": now,
                                          "updated_at": now} for i in range(n_customers)])
        cids = [r[0] for r in conn.execute(select(customers.c.id).order_by(customers.c.id))]
        conn.execute(insert(debts), [
            {"external_id": f"BD{c}-{k}", "customer_id": c, "creditor": "Bench", "product": "credit_card",
             "currency": "USD", "original_minor": cap, "opened_on": date(2020 + k, 1, 1), "status": "delinquent",
             "row_hash": "b", "created_at": now, "updated_at": now} for c in cids for k, cap in enumerate(CAPACITIES)])
        rows = conn.execute(select(debts.c.id, debts.c.customer_id, debts.c.original_minor).order_by(debts.c.id)).all()
        conn.execute(insert(ledger_entries), [
            {"debt_id": d, "kind": "charge", "amount_minor": amt, "currency": "USD", "effective_date": date(2020, 1, 1),
             "posted_at": now, "source": "import"} for d, _c, amt in rows])
    by_customer: dict[int, list[int]] = {}
    for d, c, _amt in rows:
        by_customer.setdefault(int(c), []).append(int(d))
    with rt.uow() as uow:
        create_user(uow, "benchagent", "bench password 123", "agent")
    with rt.uow() as uow:
        token = create_token(uow, "benchagent", name="bench")
    engine.dispose()
    return by_customer, token


def _start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, CUPX_DATABASE_URL=url, CUPX_ENVIRONMENT="test")
    # `cupx serve` as an operator runs it (uvloop and httptools come with uvicorn[standard]).
    cmd = [sys.executable, "-c", "from cupx.entrypoints.cli import main; main()", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not start")


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def _backends_cpu(admin: Engine, name: str) -> float:
    """CPU seconds used by the PostgreSQL backends serving database `name` (a local server; its pooled
    connections opened when posting began, so this is the database's share of the run)."""
    with admin.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :n"), {"n": name}).scalars()
        return sum(_tree_cpu(int(p)) for p in pids)


def _post_all(port: int, token: str, plan: list[tuple[int, int]], clients: int) -> tuple[list[float], list[int]]:
    """Post every planned payment; return the latencies and the indexes of the payments that failed."""
    latencies: list[float] = []
    failed: list[int] = []
    lock = threading.Lock()
    cursor = iter(range(len(plan)))
    received = datetime.now(UTC).isoformat()

    def worker() -> None:
        local: list[float] = []
        bad: list[int] = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            while True:
                with lock:
                    i = next(cursor, None)
                if i is None:
                    break
                customer_id, amount = plan[i]
                body = {"customer_id": customer_id, "amount_minor": amount, "currency": "USD",
                        "received_at": received, "method": "card", "reference": f"bench-{i}"}
                t0 = time.perf_counter()
                try:
                    resp = client.post("/api/v1/payments", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
                    ok = resp.status_code == 201
                except httpx.HTTPError:
                    ok = False
                local.append(time.perf_counter() - t0)
                if not ok:
                    bad.append(i)
        with lock:
            latencies.extend(local)
            failed.extend(bad)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, failed


def _verify(url: str, by_customer: dict[int, list[int]], paid: dict[int, int]) -> int:
    """Debts whose balance differs from the waterfall of what their customer paid, plus credit mismatches."""
    engine = make_engine(url)
    rt = bootstrap(Settings(environment="test", database_url=url), engine=engine)
    from cupx.services.payment_ports import CaseStore

    mismatches = 0
    with rt.uow() as uow:
        balances = uow[CaseStore].balances([d for ds in by_customer.values() for d in ds])
        credit = dict(uow.connection.execute(  # type: ignore[union-attr]
            select(payments.c.customer_id, func.sum(payments.c.credit_minor)).group_by(payments.c.customer_id)).all())
    for customer_id, debt_ids in by_customer.items():
        parts, left = allocate_in_order(paid.get(customer_id, 0), CAPACITIES)
        for debt_id, cap, part in zip(debt_ids, CAPACITIES, parts, strict=True):
            mismatches += balances.get(debt_id, 0) != cap - part
        mismatches += int(credit.get(customer_id) or 0) != left
    engine.dispose()
    return mismatches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    # A closed loop: latency = clients / throughput (Little's law), so 24 clients at 300/s queue for 80 ms
    # on average whatever the server does. 8 keep the server busy while measuring its latency, not a queue.
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--customers", type=int, default=0, help="default: size // 20, at least 10")
    parser.add_argument("--pg", default=os.environ.get("CUPX_BENCH_POSTGRES_URL",
                                                         "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    n_customers = args.customers or max(args.size // 20, 10)
    name = f"cupx_bench_pay_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(args.pg), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalize_url(args.pg).rsplit("/", 1)[0] + f"/{name}"
    server = None
    try:
        by_customer, token = _seed(url, n_customers)
        rng = random.Random(7)
        ids = sorted(by_customer)
        plan = [(rng.choice(ids), rng.randint(100, 2_000)) for _ in range(args.size)]
        paid: dict[int, int] = {}
        port = _free_port()
        server = _start_server(url, port, args.workers)
        t0, cpu0, tree0 = time.perf_counter(), os.times(), _tree_cpu(server.pid)
        latencies, failed = _post_all(port, token, plan, args.clients)
        elapsed = time.perf_counter() - t0
        serving_cpu = _tree_cpu(server.pid) - tree0  # the workers while posting, without their start-up
        db_cpu = _backends_cpu(admin, name)
        server.terminate()
        server.wait(30)
        server = None
        cpu1 = os.times()  # the server and its reaped workers count as our children once it exits
        server_cpu = (cpu1.children_user + cpu1.children_system) - (cpu0.children_user + cpu0.children_system)
        client_cpu = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
        print(f"CPU per payment: server {serving_cpu / len(plan) * 1000:.2f} ms while posting "
              f"({server_cpu / len(plan) * 1000:.2f} ms with start-up), client {client_cpu / len(plan) * 1000:.2f} ms, "
              f"PostgreSQL {db_cpu / len(plan) * 1000:.2f} ms",
              file=sys.stderr)
        skipped = set(failed)
        for i, (customer_id, amount) in enumerate(plan):
            if i not in skipped:
                paid[customer_id] = paid.get(customer_id, 0) + amount
        mismatches = _verify(url, by_customer, paid)
        latencies.sort()
        pct = lambda q: round(latencies[min(int(q * len(latencies)), len(latencies) - 1)] * 1000, 2)  # noqa: E731
        print(f"posted {len(latencies)} payments with {args.clients} clients on {args.workers} workers "
              f"in {elapsed:.1f}s", file=sys.stderr)
        print(json.dumps({"payments": len(latencies), "per_s": round(len(latencies) / elapsed, 1),
                          "p50_ms": pct(0.50), "p99_ms": pct(0.99), "errors": len(failed),
                          "balance_mismatches": mismatches,
                          "server_cpu_ms": round(serving_cpu / len(plan) * 1000, 2)}))
    finally:
        if server is not None:
            server.terminate()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
