"""Where the simulator plugs into the other areas: the nightly cycle, the dispatcher, and the inbound
paths for what customers say (opt-outs, disputes, complaints).

- `nightly_cycle(rt, on)`: the cycle's run for the date (contract C5), which also runs the payments
  area's nightly jobs (promises, plan instalments, expired holds) before deciding.
- `dispatch_day(rt, now)`: the in-process dispatcher to the file sinks (contract C6), at `now`.
- Inbound: an SMS "STOP" goes through `cupx.services.inbound.receive_sms` (C6) when the customer has a
  mobile; a dispute goes through the dispute service (`cupx.services.disputes.record_dispute`, R-13) for
  each of the customer's open, undisputed debts, so the case becomes `disputed` and the cycle holds it;
  complaints and other opt-outs arrive as the creditor's daily contact-history file through the importer
  (C9, `contacts` kind, RULES.md 6.2 vocabulary), the same path a real creditor feed takes.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from cupx.bootstrap import Runtime
from cupx.sim.responses import Action

__all__ = ["Inbound", "dispatch_day", "nightly_cycle", "senders"]


def nightly_cycle(rt: Runtime, on: date, now: datetime) -> dict[str, Any]:
    """The night of `on`: the cycle run of the date (contract C5), which starts with the payments area's
    nightly jobs (promises kept or broken, plan instalments, expired hardship holds), so they run once."""
    from cupx.services.cycle import run_cycle

    return {"cycle": run_cycle(rt.uow, on, now).counts}


def senders(rt: Runtime) -> dict[str, Any]:
    """The channel senders (file sinks unless providers are configured), built once per simulation: a
    file sink reads the keys it already wrote when first used, which should not happen every day."""
    from cupx.adapters.channels.factory import build_senders

    return dict(build_senders(rt.settings))


def dispatch_day(rt: Runtime, now: datetime, seed: int, channel_senders: dict[str, Any]) -> dict[str, int]:
    """Run the dispatcher until nothing is due at `now`."""
    import random

    from cupx.services.dispatch import Dispatcher
    from cupx.services.dispatch_config import DispatchConfig

    rand = random.Random(f"{seed}:{now.isoformat()}").random
    # One dispatcher works the whole day's backlog: bigger batches mean fewer look-ups per message.
    config = DispatchConfig(batch_size=1000, record_every=500)
    dispatcher = Dispatcher(rt.uow, channel_senders, config=config, clock=lambda: now, worker="sim", rand=rand)
    report = dispatcher.run(now=now)
    return {k: v for k, v in vars(report).items() if isinstance(v, int)}


def _opt_out_by_text(rt: Runtime, a: Action, numbers: dict[int, str]) -> bool:
    """Reply STOP from the customer's mobile through the inbound SMS service; False if they have none."""
    from cupx.services.inbound import receive_sms

    number = numbers.get(a.customer_id)
    if number is None:
        return False
    receive_sms(rt, number, "STOP", provider_id=f"sim-in:{a.key}", now=a.at)
    return True


def _dispute(rt: Runtime, a: Action) -> int:
    """A written (portal) dispute of every open, undisputed debt of the customer, one transaction per debt
    through the dispute service; returns the debts disputed. A rerun of the day finds them disputed."""
    from cupx.domain.errors import Conflict, InvalidTransition
    from cupx.services.disputes import DisputeStore, RecordDispute, record_dispute

    with rt.uow() as uow:
        debt_ids = uow[DisputeStore].open_debt_ids(a.customer_id)
    done = 0
    for debt_id in debt_ids:
        cmd = RecordDispute(debt_id, a.at, True, "portal", "the customer disputes the amount (simulated)", a.at,
                            "sim")
        try:
            with rt.uow() as uow:
                record_dispute(uow, cmd)
            done += 1
        except (Conflict, InvalidTransition):  # disputed or moved meanwhile (e.g. paid off the same day)
            continue
    return done


class Inbound:
    """What customers said today that is not a payment: STOP texts go through the inbound SMS service
    and disputes through the dispute service; complaints and e-mail opt-outs are collected and imported
    as one contacts file."""

    def __init__(self, rt: Runtime, numbers: dict[int, str]) -> None:
        self.rt, self.numbers = rt, numbers
        self.rows: list[dict[str, Any]] = []
        self.stops: list[Action] = []
        self.disputes: list[Action] = []

    def _collect(self, kind: str, a: Action, channel: str) -> None:
        self.rows.append({"external_id": f"{a.key}:{kind}", "customer_id": a.customer_id, "type": kind,
                          "channel": channel, "at": a.at.strftime("%Y-%m-%dT%H:%M:%S+00:00")})

    def handlers(self) -> dict[str, Any]:
        """Action handlers that only collect: the inbound paths open their own transactions, so they run
        in `flush`, after the day's payments committed."""
        return {"opt_out": lambda _uow, a: self.stops.append(a),
                "dispute": lambda _uow, a: self.disputes.append(a),
                "complain": lambda _uow, a: self._collect("complaint", a, "portal")}

    def flush(self, external_ids: dict[int, str], on: date) -> int:
        """Record the day's disputes, then import the collected events as the day's contacts file; returns
        the debts disputed plus the rows imported."""
        disputed = sum(_dispute(self.rt, a) for a in self.disputes)
        self.disputes = []
        return disputed + self._import(external_ids, on)

    def _import(self, external_ids: dict[int, str], on: date) -> int:
        from cupx.services.imports import import_file

        for a in self.stops:
            if not (a.channel == "sms" and _opt_out_by_text(self.rt, a, self.numbers)):
                self._collect("electronic_opt_out", a, "email" if a.channel == "email" else "sms")
        self.stops = []
        if not self.rows:
            return 0
        rows = pl.DataFrame(self.rows).with_columns(
            pl.col("customer_id").replace_strict(external_ids, return_dtype=pl.Utf8).alias("customer_external_id"),
            pl.lit("").alias("debt_external_ids"), pl.lit("").alias("outcome"),
            pl.lit("true").alias("right_party"), pl.lit("{}").alias("payload")).select(
            "external_id", "customer_external_id", "debt_external_ids", "type", "channel", "at", "outcome",
            "right_party", "payload")
        self.rows = []
        folder = Path(self.rt.settings.data_dir) / "sim-inbound"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"contacts-{on.isoformat()}.csv"
        rows.write_csv(path)
        return int(import_file(self.rt, "contacts", path).inserted)
