"""Benchmark: N due outbox messages end to end - claim, guard, render, send, record.

Half the messages are emails to a local SMTP server (aiosmtpd), half texts to a local HTTP server
playing a Twilio-style SMS provider; each server runs in its own process and reports, at the end, every
Message-ID / Idempotency-Key it received. Dispatchers run the real compliance guard at send time, each
in its own process (the way `cupx worker` scales out); the timing of a channel includes their start-up.

    python bench/dispatch.py --size 10000 [--db postgresql://...] [--dispatchers 2] [--batch-size 500]

Last stdout line: {"messages", "email_per_s", "sms_per_s", "duplicates", "lost", ...}. A duplicate is a
message key the provider saw more than once; lost = messages not received by the provider. Also CPU
milliseconds per message (user + system, from `getrusage`) of the dispatcher processes
(`cpu_ms_per_email`, `cpu_ms_per_sms`) and of the local servers (`server_cpu_ms_per_*`), timed
over the same span: on a shared machine they tell what an idle one would do.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from cupx.adapters.bulk import bulk_insert
from cupx.adapters.db import normalize_url
from cupx.adapters.tables.core import customer_emails, customer_phones, customers, debts, outbox_messages
from cupx.bootstrap import Runtime, bootstrap
from cupx.config import Settings

NOW = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)  # Tuesday noon in New York: inside every window


def _serve(kind: str, out: Any, stop: Any) -> None:
    from cupx.adapters.channels.local_servers import SmsProviderServer, SmtpCapture

    server = SmsProviderServer() if kind == "sms" else SmtpCapture()
    with server:
        out.put(server.url if isinstance(server, SmsProviderServer) else server.port)
        cpu0 = _cpu()
        stop.wait()
        cpu = _cpu() - cpu0  # serving only: before the tally below
        counts = dict(server.requests) if isinstance(server, SmsProviderServer) else dict(server.message_ids())
        out.put((counts, cpu))


def _cpu() -> float:
    """CPU seconds (user + system, every thread) this process has used."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _database(url: str | None, workdir: Path) -> str:
    if not url:
        return f"sqlite:///{workdir / 'bench.db'}"
    name = f"cupx_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return normalize_url(url).rsplit("/", 1)[0] + f"/{name}"


def _drop(url: str, admin_url: str | None) -> None:
    if admin_url and url.startswith("postgresql"):
        admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
        admin.dispose()


def seed(rt: Runtime, n: int) -> None:
    """n customers (mobile with consent, email given directly), one debt and one due message each."""
    c = rt.cipher
    name = c.encrypt("Pat Bench")
    rows_c, rows_p, rows_e, rows_d, rows_o = [], [], [], [], []
    for i in range(1, n + 1):
        rows_c.append({"id": i, "external_id": f"BC{i}", "name_enc": name, "preferred_language": "en",
                       "flags": "", "tz_candidates": "America/New_York", "row_hash": "x", "created_at": NOW,
                       "updated_at": NOW})
        number = f"+1212{i % 10_000_000:07d}"
        rows_p.append({"id": i, "customer_id": i, "number_enc": c.encrypt(number), "number_hash": f"p{i}",
                       "area_code": "212", "type": "mobile", "provenance": "consumer_consent", "tcpa_consent": True,
                       "consent_at": NOW - timedelta(days=2), "opted_out": False, "wrong_number": False})
        rows_e.append({"id": i, "customer_id": i, "address_enc": c.encrypt(f"pat{i}@example.com"),
                       "address_hash": f"e{i}", "provenance": "consumer_consent", "opted_out": False,
                       "bounced": False, "domain_public": True, "employer_provided_known": False})
        rows_d.append({"id": i, "external_id": f"BD{i:08d}", "customer_id": i, "creditor": "Acme Bank",
                       "product": "credit_card", "currency": "USD", "original_minor": 10_000 + i,
                       "jurisdiction": "US", "status": "delinquent", "due_schedule": "[]", "version": 0,
                       "row_hash": "x", "created_at": NOW, "updated_at": NOW})
        rows_o.append({"id": i, "message_key": f"bench:{i}", "customer_id": i, "debt_ids": f"[{i}]",
                       "channel": "email" if i % 2 else "sms", "template_id": "reminder", "language": "en",
                       "scheduled_at": NOW, "status": "pending", "attempts": 0, "source": "cycle", "payload": "{}",
                       "created_at": NOW})
    with rt.engine.begin() as conn:
        for table, rows in ((customers, rows_c), (customer_phones, rows_p), (customer_emails, rows_e),
                            (debts, rows_d), (outbox_messages, rows_o)):
            bulk_insert(conn, table, rows)
        if conn.dialect.name == "postgresql":
            for t in ("customers", "customer_phones", "customer_emails", "debts", "outbox_messages"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), {n})"))
            conn.execute(text("ANALYZE"))


def _dispatch_process(url: str, data_dir: str, channel: str, target: str, batch_size: int, worker: str,
                      start: Any, cpu_out: Any) -> None:
    """One dispatcher in its own process (as `cupx worker` runs them): its own runtime and senders.
    Imports and the first unit of work happen before the start barrier: a worker pays them once."""
    from cupx.adapters.channels.sms import HttpSmsSender
    from cupx.adapters.channels.smtp import SmtpSender
    from cupx.services.dispatch import DispatchConfig, Dispatcher

    rt = bootstrap(Settings(environment="test", database_url=url, data_dir=Path(data_dir)))
    sender: Any = (SmtpSender("127.0.0.1", int(target), mail_from="collections@cupx.example", connections=8)
                   if channel == "email"
                   else HttpSmsSender(target, "ACtest", "secret", "+15005550006", concurrency=16))
    d = Dispatcher(rt.uow, {channel: sender}, config=DispatchConfig(batch_size=batch_size, channels=(channel,)),
                   clock=lambda: NOW, worker=worker)
    with rt.uow():
        pass  # imports every repository module
    from cupx.compliance import evaluate

    evaluate({}, [], {"type": "compute_validation_period", "provided_on": "2026-06-01"})  # warm the guard
    start.wait()
    cpu0 = _cpu()
    try:
        d.run()
    finally:
        d.close()
        cpu_out.put(_cpu() - cpu0)
        rt.dispose()


def run_channel(url: str, data_dir: Path, channel: str, target: str, dispatchers: int,
                batch_size: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the dispatchers) from the start barrier to the last one's exit."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(dispatchers + 1)
    cpu_out = ctx.Queue()
    procs = [ctx.Process(target=_dispatch_process, args=(url, str(data_dir), channel, target, batch_size,
                                                         f"bench-{channel}-{i}", barrier, cpu_out))
             for i in range(dispatchers)]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    cpu = sum(cpu_out.get() for _ in procs)  # before join: a child exits once its queue is flushed
    wall = time.perf_counter() - start
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"dispatcher process failed with exit code {p.exitcode}")
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--db", default=None, help="PostgreSQL server URL (a fresh database is created); default SQLite")
    ap.add_argument("--dispatchers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=500)
    args = ap.parse_args()
    from cupx.services.templates import ensure_default_templates

    workdir = Path(tempfile.mkdtemp(prefix="cupx-bench-dispatch-"))
    url = _database(args.db, workdir)
    rt = bootstrap(Settings(environment="test", database_url=url, data_dir=workdir / "var"))
    rt.migrate()
    t0 = time.perf_counter()
    seed(rt, args.size)
    ensure_default_templates(rt.uow, NOW)
    print(f"seeded {args.size} messages in {time.perf_counter() - t0:.1f}s ({rt.engine.dialect.name})", flush=True)
    stop = mp.Event()
    queues = {k: mp.Queue() for k in ("sms", "email")}
    procs = [mp.Process(target=_serve, args=(k, q, stop), daemon=True) for k, q in queues.items()]
    for p in procs:
        p.start()
    sms_url, smtp_port = queues["sms"].get(timeout=60), queues["email"].get(timeout=60)

    n_email, n_sms = (args.size + 1) // 2, args.size // 2
    email_s, email_cpu = run_channel(url, workdir / "var", "email", str(smtp_port), args.dispatchers,
                                     args.batch_size)
    print(f"email: {n_email} in {email_s:.2f}s", flush=True)
    sms_s, sms_cpu = run_channel(url, workdir / "var", "sms", sms_url, args.dispatchers, args.batch_size)
    print(f"sms: {n_sms} in {sms_s:.2f}s", flush=True)
    stop.set()
    (sms_seen, sms_server_cpu), (mail_seen, mail_server_cpu) = (queues["sms"].get(timeout=120),
                                                                 queues["email"].get(timeout=120))
    for p in procs:
        p.join(30)
    with rt.engine.connect() as conn:
        sent = conn.execute(select(func.count()).select_from(outbox_messages).where(
            outbox_messages.c.status == "sent")).scalar()
    duplicates = sum(c - 1 for c in sms_seen.values()) + sum(c - 1 for c in mail_seen.values())
    lost = args.size - len(sms_seen) - len(mail_seen)
    print(f"outbox rows sent: {sent} of {args.size}", flush=True)
    from cupx.services.audit import verify_chain

    audit = verify_chain(rt)  # one guard audit record per send-time evaluation, chained across dispatchers
    print(f"audit records: {audit.checked}, chain ok: {audit.ok}", flush=True)
    if sent != args.size:
        with rt.engine.connect() as conn:
            for r in conn.execute(select(outbox_messages.c.channel, outbox_messages.c.status,
                                         outbox_messages.c.attempts, outbox_messages.c.last_error).where(
                    outbox_messages.c.status != "sent").limit(20)):
                print(f"not sent: {r.channel} {r.status} attempts={r.attempts} {r.last_error}", flush=True)
    rt.dispose()
    _drop(url, args.db)
    def ms(cpu: float, n: int) -> float:
        return round(1000 * cpu / max(n, 1), 3)

    print(json.dumps({"messages": args.size, "email_per_s": round(n_email / email_s, 1),
                      "sms_per_s": round(n_sms / sms_s, 1), "duplicates": duplicates, "lost": lost,
                      "cpu_ms_per_email": ms(email_cpu, n_email), "cpu_ms_per_sms": ms(sms_cpu, n_sms),
                      "server_cpu_ms_per_email": ms(mail_server_cpu, n_email),
                      "server_cpu_ms_per_sms": ms(sms_server_cpu, n_sms), "audit_records": audit.checked,
                      "audit_chain_ok": audit.ok}))


if __name__ == "__main__":
    sys.exit(main())
