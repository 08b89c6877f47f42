"""Validation of plain inputs (dicts from YAML/JSON) into the typed models, with field paths.

Invariant: any problem raises `cupx.domain.errors.ValidationError` whose `field` is the dotted path of
the first bad value (`events[2].at`, `action.debt_ids`), so the CLI can name case and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pydantic

from cupx.compliance.models import Action, Context, Event
from cupx.domain.errors import ValidationError

__all__ = ["parse_action", "parse_context", "parse_events"]

M = TypeVar("M", bound=pydantic.BaseModel)


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _validate(model: type[M], data: Any, prefix: str) -> M:
    if isinstance(data, model):
        return data
    if not isinstance(data, Mapping):
        raise ValidationError(f"expected a mapping, got {type(data).__name__}", field=prefix)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        raise ValidationError(str(err["msg"]), field=_path(prefix, tuple(err["loc"]))) from None


def parse_context(data: Context | Mapping[str, Any] | None) -> Context:
    return _validate(Context, data or {}, "context")


def _check_debts(ctx: Context, debt_ids: Iterable[str] | None, field: str) -> None:
    if not ctx.debts or debt_ids is None:
        return
    known = {d.id for d in ctx.debts}
    for i, debt_id in enumerate(debt_ids):
        if debt_id not in known:
            raise ValidationError(f"unknown debt id {debt_id!r}", field=f"{field}[{i}]")


def parse_events(events: Iterable[Event | Mapping[str, Any]] | None, ctx: Context) -> list[Event]:
    out: list[Event] = []
    for i, raw in enumerate(events or ()):
        ev = _validate(Event, raw, f"events[{i}]")
        if ev.date_only:  # C-18: date-only events are dated in the collector's business zone
            local = datetime.combine(ev.at.date(), time(0), tzinfo=ZoneInfo(ctx.collector_business_tz))
            ev = ev.model_copy(update={"at": local})
        _check_debts(ctx, ev.debt_ids, f"events[{i}].debt_ids")
        _check_debts(ctx, ev.counted_toward, f"events[{i}].counted_toward")
        out.append(ev)
    return out


def parse_action(data: Action | Mapping[str, Any], ctx: Context) -> Action:
    act = _validate(Action, data, "action")
    _check_debts(ctx, act.debt_ids, "action.debt_ids")
    return act
