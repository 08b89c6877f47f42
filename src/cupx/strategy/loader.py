"""Reading strategy YAML into a validated `Strategy`, with errors that name the file, line and field.

The YAML is parsed twice from the same text: once into plain data that pydantic validates, once into
the node tree (`yaml.compose`) that keeps each value's position, so every pydantic error location
(`ladders.standard.2.channel`) is turned back into the line a strategist sees in an editor. The
content hash (sha256 of the exact text) identifies a strategy version in the registry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pydantic
import yaml

from cupx.domain.errors import ValidationError
from cupx.strategy.schema import LocatedError, Strategy

__all__ = ["LoadedStrategy", "load_strategy", "parse_strategy", "strategy_hash"]


@dataclass(frozen=True, slots=True)
class LoadedStrategy:
    strategy: Strategy
    text: str
    sha256: str
    source: str


def strategy_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _node_at(root: yaml.Node | None, path: tuple[str | int, ...]) -> yaml.Node | None:
    """The deepest node on `path` (stops at the last step that exists)."""
    node = root
    for part in path:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            if found is None:
                key = next((k for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
                return key or node
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    # pydantic adds union-member and key markers ('Test', '[key]', 'function-after[...]') to locations.
    return tuple(p for p in loc if isinstance(p, int) or not (p[:1].isupper() or p.startswith(("[", "function"))))


def _raise_located(exc: pydantic.ValidationError, root: yaml.Node | None, source: str) -> None:
    err = exc.errors()[0]
    loc = _clean_loc(tuple(err["loc"]))
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, LocatedError):
        loc = (*loc, *cause.path)
        message = str(cause)
    else:
        message = err["msg"].removeprefix("Value error, ")
    node = _node_at(root, loc)
    line = node.start_mark.line + 1 if node is not None else 1
    field = ".".join(str(p) for p in loc) or "(document)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    raise ValidationError(f"{source}:{line}: {field}: {message}{more}", field=field, row=line,
                          details={"file": source, "line": line}) from None


def parse_strategy(text: str, source: str = "<strategy>") -> LoadedStrategy:
    """Validate strategy YAML text; raise `ValidationError` naming `source`, the line and the field."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ValidationError(f"{source}:{line}: not valid YAML: {getattr(exc, 'problem', exc)}",
                              field="(document)", row=line) from None
    if not isinstance(data, dict):
        raise ValidationError(f"{source}:1: a strategy is a mapping", field="(document)", row=1)
    try:
        strategy = Strategy.model_validate(data)
    except pydantic.ValidationError as exc:
        _raise_located(exc, root, source)
        raise  # unreachable: _raise_located always raises
    return LoadedStrategy(strategy, text, strategy_hash(text), source)


def load_strategy(text: str, source: str) -> LoadedStrategy:
    """Alias kept for readers: the caller reads the file (this package does no I/O)."""
    return parse_strategy(text, source)
