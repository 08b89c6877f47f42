"""The compliance guard (RULES.md): one contact governor for every channel.

Pure package: no SQLAlchemy, no `os`, never reads the clock (`at`/`now` are inputs).
"""

__all__: list[str] = []
