"""CU-PX comms package (see its modules)."""
