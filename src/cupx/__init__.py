"""CU-PX: an open-source collections platform.

Layers (import directions are checked by import-linter, see pyproject.toml):
entrypoints -> services -> cycle/comms -> strategy/analytics/compliance -> domain.
`adapters` implement the ports that `services` declare.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
