"""Use cases: commands handled over ports, one handler per command; the only layer that commits.

Services reach storage only through ports (abstract repositories) obtained from a `UnitOfWork`.
"""

__all__ = ["uow"]
