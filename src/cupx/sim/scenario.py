"""`load_portfolio` and `simulate`: a synthetic portfolio generated, imported through the real importer
(contract C9) and worked for some days — what `cupx demo` and the simulator tests share.

Invariant: nothing is written except through `import_file` and the services `run_days` drives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from cupx.bootstrap import Runtime
from cupx.sim.generator import generate, write
from cupx.sim.runner import run_days

__all__ = ["STRATEGIES_DIR", "load_portfolio", "prepare_database", "simulate"]

STRATEGIES_DIR = Path(__file__).resolve().parents[3] / "strategies"  # the repository's example strategies

ImportProgress = Callable[[str, str, int, int], None]  # kind, stage, done, total


def prepare_database(rt: Runtime, now: datetime) -> list[str]:
    """Default templates, and the example strategies registered and made live (if none is live yet)."""
    from cupx.services.cycle_ports import StrategyRegistry
    from cupx.services.templates import ensure_default_templates
    from cupx.strategy.loader import load_strategy

    ensure_default_templates(rt.uow, now)
    with rt.uow() as uow:
        registry = uow[StrategyRegistry]
        if registry.live():
            return [ls.strategy.id for ls in registry.live()]
        for path in sorted(STRATEGIES_DIR.glob("*.yaml")):
            version = registry.register(load_strategy(path.read_text(encoding="utf-8"), str(path)), now, "sim")
            registry.set_live(version.strategy_id, version.version)
        uow.commit()
        return [ls.strategy.id for ls in registry.live()]


def load_portfolio(rt: Runtime, accounts: int, seed: int, start: date, folder: Path,
                   progress: ImportProgress | None = None) -> dict[str, Any]:
    """Generate `accounts` customers as of `start` into `folder` and import the four files in order."""
    from cupx.services.imports import import_file

    paths = write(generate(seed, accounts, start), folder, customers_format="jsonl")
    reports = {}
    for kind, path in paths.items():
        def tell(stage: str, done: int, total: int, _kind: str = kind) -> None:
            if progress is not None:
                progress(_kind, stage, done, total)

        reports[kind] = import_file(rt, kind, path, progress=tell)
    return reports


def simulate(rt: Runtime, accounts: int, days: int, seed: int, start: date, folder: Path,
             on_day: Callable[[int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Load a portfolio and simulate `days` days from `start`; returns the run's summary."""
    prepare_database(rt, datetime.combine(start, time(), tzinfo=UTC))
    load_portfolio(rt, accounts, seed, start, folder)
    return run_days(rt, days, seed=seed, start=start, on_day=on_day)
