"""CU-PX cycle package (see its modules)."""
