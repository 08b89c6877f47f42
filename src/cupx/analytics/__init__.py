"""CU-PX analytics package (see its modules)."""
