# Two set-up commands on a fresh machine: `make demo` (the main job) and `make test` (the suite).
# Each creates .venv and installs what it needs; both need libsodium >= 1.0.18 (Debian: libsodium23).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean libsodium

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory libsodium
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# libsodium is a system library: install it with apt when it is missing and we are root.
libsodium:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libsodium\.so'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing libsodium23 with apt-get"; \
	    apt-get update -qq && apt-get install -y -qq libsodium23 >/dev/null; \
	  else \
	    echo "error: libsodium >= 1.0.18 is missing; install it (Debian/Ubuntu: apt-get install libsodium23)"; exit 2; \
	  fi; \
	fi

demo: $(STAMP)
	$(BIN)/solvency demo

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src circuits cli

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_bulletproofs.py

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info
