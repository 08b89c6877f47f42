"""The pure domain model of CU-PX: money, customers, debts, the ledger, case status, errors.

Rule: nothing in this package imports SQLAlchemy, FastAPI, Celery or `os`, or reads the clock; `now`
and `as_of` are parameters. The mapping to tables lives in `cupx.adapters`. import-linter checks this.
"""

__all__ = ["case", "customer", "debt", "errors", "ledger", "money"]
