"""Ports and small use cases the portfolio simulator needs besides the real services.

The simulator (cupx.sim) drives the real code paths — the cycle, the dispatcher, `post_payment`,
`make_promise`, `create_plan`, inbound SMS — and only READS through `SimulationStore` to know what
happened today (which customers were contacted and how, what they owe, which promises and instalments
fall due). It writes nothing else but its own records: the simulation's progress (`sim_runs`), the
post-resolution satisfaction surveys it answers (`surveys`, the CSAT source; see docs/kpis.md), and —
playing the agents, as the desk has no outcome service yet — the outcome of calls made from the call
tasks the dispatcher created (`record_desk_calls`).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from cupx.services.uow import UnitOfWork

__all__ = ["SimRun", "SimulationStore", "advance_run", "record_desk_calls", "record_surveys", "start_or_resume"]


@dataclass(frozen=True, slots=True)
class SimRun:
    id: int
    seed: int
    accounts: int
    start_on: date
    days_done: int


class SimulationStore(abc.ABC):
    @abc.abstractmethod
    def current_run(self) -> SimRun | None: ...
    @abc.abstractmethod
    def add_run(self, seed: int, accounts: int, start_on: date, now: datetime) -> int: ...
    @abc.abstractmethod
    def set_days_done(self, run_id: int, days_done: int, now: datetime) -> None: ...
    @abc.abstractmethod
    def customers(self) -> pl.DataFrame: ...  # id, external_id
    @abc.abstractmethod
    def outbound_contacts(self, start: datetime, end: datetime) -> pl.DataFrame: ...  # customer_id, channel
    @abc.abstractmethod
    def balances(self, customer_ids: list[int], on: date) -> pl.DataFrame: ...  # customer_id, currency, balance
    @abc.abstractmethod
    def due_dates(self) -> pl.DataFrame: ...  # customer_id, due_on: instalments of open debts
    @abc.abstractmethod
    def due_promises(self, on: date) -> pl.DataFrame: ...  # id, customer_id, amount_minor, currency
    @abc.abstractmethod
    def due_instalments(self, on: date) -> pl.DataFrame: ...  # plan_id, customer_id, amount_minor, currency
    @abc.abstractmethod
    def mobile_numbers(self, customer_ids: list[int]) -> dict[int, str]: ...  # customer_id -> E.164 (decrypted)
    @abc.abstractmethod
    def add_surveys(self, rows: pl.DataFrame) -> int: ...  # customer_id, resolution, channel, score, answered_at
    @abc.abstractmethod
    def open_call_tasks(self, until: datetime) -> pl.DataFrame: ...  # id, customer_id, debt_ids (JSON), due_at
    @abc.abstractmethod
    def finish_calls(self, calls: pl.DataFrame, agent: str) -> int: ...
    # calls: task_id, customer_id, debt_ids, at, outcome, right_party -> call_placed events, tasks done


def record_desk_calls(uow: UnitOfWork, calls: pl.DataFrame, agent: str = "sim-agent") -> int:
    """The agent desk's outcome of calls made from call tasks: one `call_placed` contact event each
    (outcome, right party) and the task done. The dispatcher guard-checked the task when it made it."""
    if calls.height and not calls["outcome"].is_in(["answered", "no_answer", "voicemail_message", "busy"]).all():
        raise ValueError("unknown call outcome")
    n = uow[SimulationStore].finish_calls(calls, agent)
    uow.commit()
    return n


def start_or_resume(uow: UnitOfWork, seed: int, accounts: int, start_on: date, now: datetime) -> SimRun:
    """The simulation of this database: the existing one (its seed wins), else a new one."""
    store = uow[SimulationStore]
    run = store.current_run()
    if run is None:
        store.add_run(seed, accounts, start_on, now)
        uow.commit()
        run = store.current_run()
        assert run is not None
    return run


def advance_run(uow: UnitOfWork, run: SimRun, days_done: int, now: datetime) -> None:
    uow[SimulationStore].set_days_done(run.id, days_done, now)
    uow.commit()


def record_surveys(uow: UnitOfWork, rows: pl.DataFrame) -> int:
    """Store survey answers (scores 1..5) in one batch."""
    if rows.height and not rows["score"].is_between(1, 5).all():
        raise ValueError("survey scores are 1..5")
    n = uow[SimulationStore].add_surveys(rows.with_columns(pl.lit("sim").alias("source")))
    uow.commit()
    return n
