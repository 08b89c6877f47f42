"""CU-PX adapters package (see its modules)."""
