"""Analytics repositories: the model registry (table `models` + artefact files), the portfolio reader
(tables as Polars frames), statements (bulk), the UCI account loader and experiment inputs."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, delete, select, update

from cupx.adapters.bulk import allocate_ids, bulk_insert
from cupx.adapters.model_store import ModelStore
from cupx.adapters.repositories.registry import implements
from cupx.adapters.tables import metadata
from cupx.adapters.tables.analytics import models, statements
from cupx.adapters.tables.core import contact_events, customers, debts, ledger_entries
from cupx.adapters.uow import RuntimeLike
from cupx.analytics.frames import SCHEMAS
from cupx.analytics.model import TrainedModel
from cupx.domain.errors import Conflict, NotFound
from cupx.services.experiments import ExperimentData, ExperimentInputs
from cupx.services.models import PORTFOLIO_TABLES, ModelRecord, ModelRegistry, PortfolioReader, StatementRepository
from cupx.services.models_uci import UciAccounts

__all__ = ["SqlExperimentData", "SqlModelRegistry", "SqlPortfolioReader", "SqlStatements", "SqlUciAccounts"]


def _record(row: Any) -> ModelRecord:
    return ModelRecord(
        version=row.version, created_at=row.created_at, trained_as_of=row.trained_as_of,
        artefact_path=row.artefact_path, artefact_sha256=row.artefact_sha256, data_hash=row.data_hash,
        features=json.loads(row.features), metrics=json.loads(row.metrics),
        library_versions=json.loads(row.library_versions), params=json.loads(row.params),
        active=bool(row.active), activated_at=row.activated_at, activated_by=row.activated_by)


@implements(ModelRegistry)
class SqlModelRegistry(ModelRegistry):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection
        self.store = ModelStore(runtime.settings.data_dir)

    def _row(self, version: str) -> Any:
        row = self.conn.execute(select(models).where(models.c.version == version)).first()
        if row is None:
            raise NotFound(f"no model version {version!r}", field="version")
        return row

    def _load(self, row: Any) -> TrainedModel:
        blob, sha = self.store.read(row.artefact_path)
        if sha != row.artefact_sha256:
            raise Conflict(f"artefact of model {row.version} changed since registration", field="version")
        return TrainedModel.from_bytes(blob)

    def active(self) -> TrainedModel | None:
        row = self.conn.execute(select(models).where(models.c.active.is_(True))).first()
        return None if row is None else self._load(row)

    def get(self, version: str) -> TrainedModel:
        return self._load(self._row(version))

    def save(self, model: TrainedModel, *, created_at: datetime, trained_as_of: Any) -> ModelRecord:
        exists = self.conn.execute(select(models.c.id).where(models.c.version == model.version)).first()
        if exists is not None:
            raise Conflict(f"model version {model.version!r} already registered", field="version")
        path, sha = self.store.write(model.version, model.to_bytes())
        meta = model.metadata
        self.conn.execute(models.insert().values(
            version=model.version, created_at=created_at, trained_as_of=trained_as_of, artefact_path=path,
            artefact_sha256=sha, data_hash=str(meta.get("data_hash", "")),
            features=json.dumps(list(model.feature_names)), metrics=json.dumps(meta.get("metrics", {})),
            library_versions=json.dumps(meta.get("library_versions", {})),
            params=json.dumps(meta.get("params", {}), default=str)))
        return _record(self._row(model.version))

    def activate(self, version: str, *, at: datetime, by: str) -> ModelRecord:
        self._load(self._row(version))  # refuse to activate an unreadable or altered artefact
        self.conn.execute(update(models).where(models.c.active.is_(True)).values(active=False))
        self.conn.execute(update(models).where(models.c.version == version)
                          .values(active=True, activated_at=at, activated_by=by))
        return _record(self._row(version))

    def records(self) -> list[ModelRecord]:
        rows = self.conn.execute(select(models).order_by(models.c.created_at.desc(), models.c.id.desc()))
        return [_record(r) for r in rows]


@implements(PortfolioReader)
class SqlPortfolioReader(PortfolioReader):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection

    def tables(self, names: tuple[str, ...] = PORTFOLIO_TABLES) -> dict[str, pl.LazyFrame]:
        out: dict[str, pl.LazyFrame] = {}
        for name in names:
            tbl = metadata.tables.get(name)
            if tbl is None:
                continue
            wanted = SCHEMAS.get(name, {c.name: None for c in tbl.columns})
            cols = [tbl.c[c] for c in wanted if c in tbl.c]
            frame = pl.read_database(select(*cols), self.conn, infer_schema_length=None)
            out[name] = frame.lazy()
        return out


@implements(StatementRepository)
class SqlStatements(StatementRepository):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection

    def add(self, frame: pl.DataFrame) -> int:
        if frame.height == 0:
            return 0
        if "source" not in frame.columns:
            frame = frame.with_columns(pl.lit("import").alias("source"))
        ids = frame["debt_id"].unique().to_list()
        for start in range(0, len(ids), 5000):  # replace: same (debt, month) twice keeps the newest
            self.conn.execute(delete(statements).where(statements.c.debt_id.in_(ids[start:start + 5000])))
        first = allocate_ids(self.conn, statements, frame.height)
        frame = frame.with_columns(pl.int_range(first, first + frame.height, dtype=pl.Int64).alias("id"))
        return bulk_insert(self.conn, statements, frame)


@implements(UciAccounts)
class SqlUciAccounts(UciAccounts):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection
        self.cipher = runtime.cipher

    def _existing(self, table: Any) -> pl.DataFrame:
        rows = self.conn.execute(select(table.c.external_id, table.c.id)).all()
        return pl.DataFrame(rows, schema={"external_id": pl.String, "id": pl.Int64}, orient="row")

    def debt_ids(self, external_ids: list[str]) -> pl.DataFrame:
        wanted = pl.DataFrame({"external_id": external_ids}, schema={"external_id": pl.String})
        return self._existing(debts).join(wanted, on="external_id", how="semi").rename({"id": "debt_id"})

    def upsert(self, cust: pl.DataFrame, dbt: pl.DataFrame, now: datetime) -> pl.DataFrame:
        known = self._existing(customers)
        new = cust.join(known, on="external_id", how="anti")
        if new.height:
            first = allocate_ids(self.conn, customers, new.height)
            bulk_insert(self.conn, customers, new.select(
                pl.int_range(first, first + new.height, dtype=pl.Int64).alias("id"), "external_id",
                pl.col("full_name").map_elements(self.cipher.encrypt, return_dtype=pl.Binary).alias("name_enc"),
                pl.col("full_name").map_elements(lambda v: hashlib.sha256(v.encode()).hexdigest(),
                                                 return_dtype=pl.String).alias("row_hash"),
                pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at")))
        cust_ids = self._existing(customers).rename({"external_id": "customer_external_id", "id": "customer_id"})
        new_debts = dbt.join(self._existing(debts), on="external_id", how="anti").join(
            cust_ids, on="customer_external_id", how="inner")
        if new_debts.height:
            first = allocate_ids(self.conn, debts, new_debts.height)
            minor = (pl.col("original_amount").cast(pl.Float64) * 100).round(0).cast(pl.Int64)
            bulk_insert(self.conn, debts, new_debts.select(
                pl.int_range(first, first + new_debts.height, dtype=pl.Int64).alias("id"), "external_id",
                "customer_id", "creditor", "product", "currency", minor.alias("original_minor"),
                pl.when(minor > 0).then(pl.format('[["{}", {}]]', pl.col("due_date"), minor))
                .otherwise(pl.lit("[]")).alias("due_schedule"),
                pl.lit("uci").alias("row_hash"), pl.lit(now).alias("created_at"), pl.lit(now).alias("updated_at")))
        return self.debt_ids(dbt["external_id"].to_list())


@implements(ExperimentData)
class SqlExperimentData(ExperimentData):
    def __init__(self, connection: Connection, runtime: RuntimeLike) -> None:
        self.conn = connection

    def experiments(self) -> list[str]:
        ea = metadata.tables.get("experiment_assignments")
        if ea is None:
            return []
        return [r[0] for r in self.conn.execute(select(ea.c.experiment_id).distinct().order_by(ea.c.experiment_id))]

    def inputs(self, experiment_id: str) -> ExperimentInputs:
        ea = metadata.tables.get("experiment_assignments")
        if ea is None:
            raise NotFound("experiments are not set up (no experiment_assignments table)", field="experiment_id")
        assigned = select(ea.c.customer_id).where(ea.c.experiment_id == experiment_id)
        assignments = pl.read_database(
            select(ea.c.customer_id, ea.c.arm, ea.c.assigned_on).where(ea.c.experiment_id == experiment_id),
            self.conn, schema_overrides={"customer_id": pl.Int64, "arm": pl.String, "assigned_on": pl.Date})
        le = ledger_entries
        ledger = pl.read_database(
            select(le.c.id, debts.c.customer_id, le.c.debt_id, le.c.kind, le.c.amount_minor, le.c.effective_date,
                   le.c.reverses_id).join_from(le, debts, le.c.debt_id == debts.c.id)
            .where(debts.c.customer_id.in_(assigned)), self.conn,
            schema_overrides={"id": pl.Int64, "customer_id": pl.Int64, "debt_id": pl.Int64, "kind": pl.String,
                              "amount_minor": pl.Int64, "effective_date": pl.Date, "reverses_id": pl.Int64})
        ce = contact_events
        contacts = pl.read_database(
            select(ce.c.customer_id, ce.c.type, ce.c.channel, ce.c.at).where(ce.c.customer_id.in_(assigned)),
            self.conn, schema_overrides={"customer_id": pl.Int64, "type": pl.String, "channel": pl.String})
        contacts = contacts.with_columns(_utc(contacts, "at"))
        return ExperimentInputs(assignments, ledger, contacts)


def _utc(frame: pl.DataFrame, name: str) -> pl.Expr:
    dtype = frame.schema[name]
    if isinstance(dtype, pl.Datetime):
        col = pl.col(name)
        return (col.dt.replace_time_zone("UTC") if dtype.time_zone is None else col.dt.convert_time_zone("UTC"))
    if isinstance(dtype, pl.Null):
        return pl.col(name).cast(pl.Datetime("us", "UTC"))
    return pl.col(name).str.to_datetime(time_zone="UTC")
