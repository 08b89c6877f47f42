"""CU-PX strategy package (see its modules)."""
