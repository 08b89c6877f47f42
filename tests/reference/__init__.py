"""Plain-Python reference implementations used only by tests and benchmarks (never by src)."""
