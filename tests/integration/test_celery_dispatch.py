"""The dispatcher as Celery tasks: two real worker processes on the local Redis (a queue name unique to
this test run), sending to a local SMTP server and a local HTTP SMS provider; every message exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from test_dispatch_factories import NOW, dispatcher, seed_many, sent_events, statuses

from cupx.adapters.channels.local_servers import SmsProviderServer, SmtpCapture
from cupx.bootstrap import Runtime
from cupx.config import Settings
from cupx.entrypoints.worker import create_app

REDIS_DB = 7


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"cupx-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(f"redis://127.0.0.1:6379/{REDIS_DB}")
    client.delete(name)
    client.close()


def _worker(env: dict[str, str], queue: str, name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cupx.entrypoints.worker:app", "worker", "-Q", queue, "--pool", "solo",
         "-n", f"{name}@%h", "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.celery
def test_two_celery_workers_send_every_message_exactly_once(runtime: Runtime, db_url: str, tmp_path: Path,
                                                            queue: str) -> None:
    seed_many(runtime, 60, channels=("sms", "email"))
    dispatcher(runtime)  # default templates stored once
    broker = f"redis://127.0.0.1:6379/{REDIS_DB}"
    with SmsProviderServer() as sms, SmtpCapture() as smtp:
        env = {**os.environ, "CUPX_ENVIRONMENT": "test", "CUPX_DATABASE_URL": db_url, "CUPX_BROKER_URL": broker,
               "CUPX_DATA_DIR": str(tmp_path / "var"), "CUPX_SMTP_HOST": "127.0.0.1", "CUPX_SMTP_PORT": str(smtp.port),
               "CUPX_SMS_PROVIDER_URL": sms.url, "CUPX_SMS_ACCOUNT_SID": "ACtest", "CUPX_SMS_AUTH_TOKEN": "secret"}
        workers = [_worker(env, queue, f"w{i}-{queue}") for i in range(2)]
        try:
            producer = create_app(Settings(environment="test", broker_url=broker), queue=queue)
            kwargs = {"batch_size": 10, "now": NOW.isoformat()}
            results = [producer.send_task("cupx.comms.dispatch_batch", kwargs=kwargs, queue=queue) for _ in range(8)]
            reports = [r.get(timeout=180) for r in results]
        finally:
            for w in workers:
                w.terminate()
            for w in workers:
                try:
                    w.wait(30)
                except subprocess.TimeoutExpired:
                    w.kill()
    assert sum(r["sent"] for r in reports) == 60 and sum(r["claimed"] for r in reports) == 60, reports
    assert len(sms.requests) == 30 and set(sms.requests.values()) == {1}
    assert len(smtp.message_ids()) == 30 and set(smtp.message_ids().values()) == {1}
    assert statuses(runtime) == {"sent": 60} and len(sent_events(runtime)) == 60
