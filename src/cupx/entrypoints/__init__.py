"""Thin edges: the CLI (Typer), the HTTP API (FastAPI), web pages and the Celery worker.

Edges parse input, call services, and translate `CupxError` codes into exit codes or HTTP statuses.
"""

__all__ = ["api", "cli", "web"]
