"""Champion/challenger experiment reports.

The cycle assigns customers to arms (`experiment_assignments`, contract C5). For one experiment the
`ExperimentData` port gives the assignments, the ledger entries of the assigned customers' debts and
their contact events; this module derives, per customer, the balance on the day of assignment, what was
paid after it (payments less returned payments), contact costs, complaints and opt-outs, and hands them
to `cupx.analytics.experiments_report.build_report`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import polars as pl

from cupx.analytics.experiments import ExperimentReport, arm_outcomes
from cupx.analytics.experiments_report import MIN_SAMPLE, build_report
from cupx.domain.errors import NotFound
from cupx.services.uow import UnitOfWork

__all__ = ["ExperimentData", "ExperimentInputs", "experiment_ids", "experiment_report"]


@dataclass(frozen=True)
class ExperimentInputs:
    assignments: pl.DataFrame  # customer_id, arm, assigned_on
    ledger: pl.DataFrame  # id, customer_id, debt_id, kind, amount_minor, effective_date, reverses_id
    contacts: pl.DataFrame  # customer_id, type, channel, at


class ExperimentData(abc.ABC):
    @abc.abstractmethod
    def experiments(self) -> list[str]:
        """Experiment ids with at least one assignment."""

    @abc.abstractmethod
    def inputs(self, experiment_id: str) -> ExperimentInputs:
        """Assignments plus the ledger and contacts of the assigned customers."""


def _per_customer(inputs: ExperimentInputs) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    le = inputs.ledger.join(inputs.assignments.select("customer_id", "assigned_on"), on="customer_id")
    target = le.select(pl.col("id").alias("reverses_id"), pl.col("kind").alias("tk"),
                       pl.col("amount_minor").alias("ta"))
    le = le.join(target, on="reverses_id", how="left")
    kind, amt = pl.col("kind"), pl.col("amount_minor")
    signed = (pl.when(kind.is_in(["charge", "fee", "interest", "adjustment"])).then(amt)
              .when(kind.is_in(["payment", "write_off"])).then(-amt)
              .when(kind == "reversal").then(pl.when(pl.col("tk").is_in(["payment", "write_off"]))
                                             .then(pl.col("ta")).otherwise(-pl.col("ta")))
              .otherwise(0))
    paid = (pl.when(kind == "payment").then(amt)
            .when((kind == "reversal") & (pl.col("tk") == "payment")).then(-pl.col("ta")).otherwise(0))
    before = pl.col("effective_date") <= pl.col("assigned_on")
    debts = le.filter(before).group_by("customer_id").agg(signed.sum().alias("balance_minor"))
    payments = le.filter(~before).group_by("customer_id").agg(paid.sum().alias("amount_minor"))
    contacts = inputs.contacts.join(inputs.assignments.select("customer_id", "assigned_on"), on="customer_id").filter(
        pl.col("at").dt.date() >= pl.col("assigned_on"))
    return debts, payments, contacts


def experiment_report(uow: UnitOfWork, experiment_id: str, *, min_sample: int = MIN_SAMPLE) -> ExperimentReport:
    inputs = uow[ExperimentData].inputs(experiment_id)
    if inputs.assignments.height == 0:
        raise NotFound(f"no assignments for experiment {experiment_id!r}", field="experiment_id")
    debts, payments, contacts = _per_customer(inputs)
    outcomes = arm_outcomes(inputs.assignments, debts, payments, contacts)
    return build_report(experiment_id, outcomes, min_sample=min_sample)


def experiment_ids(uow: UnitOfWork) -> list[str]:
    return uow[ExperimentData].experiments()
