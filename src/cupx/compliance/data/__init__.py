"""Reviewed data tables of the guard (area-code zones and states, holidays, jurisdiction profiles)."""

__all__: list[str] = []
