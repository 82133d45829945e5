# Set-up commands on a fresh machine: `make demo` (the main job), `make test` (the suite) and
# `make lint` (ruff and mypy --strict). Each creates .venv and installs what it needs; all need
# libsodium >= 1.0.18 (Debian: libsodium23).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean libsodium native

# setup.py and the C sources build the native extensions: a change to any reinstalls.
$(STAMP): pyproject.toml setup.py $(wildcard src/solvency/crypto/*.c)
	@$(MAKE) --no-print-directory libsodium
	@$(MAKE) --no-print-directory native
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,dask]'
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

# Optional speed-ups, installed with apt when missing and we are root: libdecaf (the fast
# group backend, loaded with ctypes) and a C compiler with Python headers (the native Keccak
# extension, built by setup.py). Without them everything works on libsodium and pure Python.
native:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; \
	  ldconfig -p 2>/dev/null | grep -q 'libdecaf\.so' || missing="$$missing libdecaf0"; \
	  command -v gcc >/dev/null || missing="$$missing gcc"; \
	  [ -n "$$($(PYTHON) -c 'import sysconfig,os;print(os.path.exists(os.path.join(sysconfig.get_paths()["include"],"Python.h")) or "")')" ] \
	    || missing="$$missing python3-dev"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing$$missing with apt-get (optional: the fast backend and native Keccak)"; \
	    (apt-get update -qq && apt-get install -y -qq $$missing >/dev/null) \
	      || echo "warning: could not install$$missing; falling back to libsodium / pure Python"; \
	  fi; \
	fi

demo: $(STAMP)
	$(BIN)/solvency demo

test: $(STAMP)
	$(BIN)/pytest -q

# mypy runs through .ci/typecheck.py, which lays circuits/ and cli/ out as installed
# (solvency.circuits, solvency.cli); `mypy src circuits cli` would leave their imports unchecked.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python .ci/typecheck.py

$(VENV)/.bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,dask,bench]'
	@touch $@

bench: $(VENV)/.bench
	$(BIN)/python benchmarks/bench_bulletproofs.py

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info
