"""The strategy registry use cases: register a YAML version (text + sha256), make a version live, list."""

from __future__ import annotations

from datetime import datetime

from cupx.services.cycle import UowFactory
from cupx.services.cycle_ports import StrategyRegistry, StrategyVersion
from cupx.strategy.loader import parse_strategy

__all__ = ["add_strategy", "list_strategies", "set_live"]


def add_strategy(uow_factory: UowFactory, text: str, source: str, now: datetime, *, live: bool = False,
                 by: str = "system") -> StrategyVersion:
    """Validate and store a strategy version; with `live`, it becomes the live version of its id."""
    loaded = parse_strategy(text, source)
    with uow_factory() as uow:
        registry = uow[StrategyRegistry]
        record = registry.register(loaded, now, by)
        if live:
            registry.set_live(record.strategy_id, record.version)
        uow.commit()
    return StrategyVersion(record.strategy_id, record.version, record.sha256, live or record.live,
                           record.created_at, record.source)


def set_live(uow_factory: UowFactory, strategy_id: str, version: int) -> None:
    with uow_factory() as uow:
        uow[StrategyRegistry].set_live(strategy_id, version)
        uow.commit()


def list_strategies(uow_factory: UowFactory) -> list[StrategyVersion]:
    with uow_factory() as uow:
        return uow[StrategyRegistry].versions()
