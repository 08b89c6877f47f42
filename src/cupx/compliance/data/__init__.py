"""Reviewed data tables of the guard (area-code zones, holidays, rule set versions)."""
