# The two commands: `make demo` and `make test`. Both set up everything they need.
# The fastest Python 3.11+ here (see scripts/pick-python); `make PYTHON=… test` to choose.
PYTHON ?= $(shell scripts/pick-python)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_DIR := $(CURDIR)/.tmp/pg

.PHONY: demo test lint format bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Set up, migrate a SQLite database, seed sample debts and serve the web chat and console.
demo: $(STAMP)
	$(BIN)/quita demo

## Browser and QR-decoding libraries the tests use (Debian packages).
system-deps:
	@if ! command -v chromium >/dev/null || ! ldconfig -p | grep -q libzbar.so.0; then \
		echo "installing chromium and libzbar0 (Debian packages)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libzbar0 >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Lint, then the whole suite against SQLite and a throwaway PostgreSQL on loopback.
test: $(STAMP) system-deps lint
	@scripts/test-postgres.sh stop $(PG_DIR)
	@url=$$(scripts/test-postgres.sh start $(PG_DIR)) || exit 1; \
	echo "PostgreSQL for tests: $$url"; \
	QUITA_TEST_POSTGRES_URL=$$url $(BIN)/pytest -p no:cacheprovider; status=$$?; \
	scripts/test-postgres.sh stop $(PG_DIR); exit $$status

bench: $(STAMP)
	$(BIN)/quita bench
	$(BIN)/pytest tests -m "not browser" --benchmark-enable --benchmark-only -p no:cacheprovider

clean:
	rm -rf $(VENV) .tmp .mypy_cache .ruff_cache .pytest_cache
