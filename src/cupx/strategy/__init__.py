"""Strategies as data: the YAML language (`schema`, `loader`), the feature catalogue, and the compiler
that turns a strategy into ONE Polars lazy plan deciding every debt at once (`compiler`), plus the
one-contact-per-customer rule (`arbitration`) and champion/challenger assignment (`assignment`).

Pure: no I/O, no clock, no SQLAlchemy (checked by import-linter; mypy --strict). See docs/strategies.md.
"""

__all__: list[str] = []
