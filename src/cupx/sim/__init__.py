"""CU-PX sim package (see its modules)."""
