# CU-PX: `make demo` runs the whole collection loop on an embedded SQLite database and serves it;
# `make test` runs lint and every test. Both need only Python 3.11+ on the machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_SIZE ?= 100000

.PHONY: demo test lint unit bench venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/cupx demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

bench: $(STAMP)
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f --size $(BENCH_SIZE) || exit 1; done

clean:
	rm -rf $(VENV) var cupx.db cupx.db-wal cupx.db-shm
