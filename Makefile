# Set-up commands on a fresh machine: `make demo` (the main job), `make test` (the suite) and
# `make lint` (ruff and mypy --strict). Each creates .venv and installs what it needs; all need
# libsodium >= 1.0.18 (Debian: libsodium23).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean libsodium native web web-deps web-test browser-deps

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
	@if [ "$(NODE_OK)" = yes ]; then $(MAKE) --no-print-directory $(WEB_STAMP); fi
	$(BIN)/pytest -q
	@$(MAKE) --no-print-directory web-test

# --- the browser verifier (web/) -----------------------------------------------------------
# Node >= 20.19 runs its build and tests; npm installs the pinned toolchain from
# web/package-lock.json (the only download, like pip's). Debian's chromium runs the browser
# test; it is installed with apt when missing and we are root. Without node or chromium the
# tests they run are skipped, and make says so.
NODE_OK = $(shell node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a==20&&b>=19)?0:1)' 2>/dev/null && echo yes)
WEB_STAMP := web/node_modules/.installed
WEB_FIXTURES := web/test-artifacts/fixtures

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web-deps: $(WEB_STAMP)

# Rebuild the page shipped in the package (src/solvency/web/verifier.html) and print its SHA-256.
web: $(STAMP) $(WEB_STAMP)
	cd web && node build.mjs

browser-deps:
	@if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and chromium-driver with apt-get (for the browser test)"; \
	    (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "warning: could not install chromium"; \
	  fi; \
	fi

# The Node tests that read the fixtures made by web/test/make_fixtures.py (they name
# SOLVENCY_WEB_FIXTURES), and the others. The others (the dalek vectors and their byte flips,
# Merlin, the coverage relation, the reserves files) start first and run throughout; beside
# them the fixtures are made, then the fixture tests and the browser test run side by side.
# Their output (web/test-artifacts/*.log) is shown when all have ended.
WEB_FIXTURE_TESTS = $(patsubst web/%,%,$(shell grep -l SOLVENCY_WEB_FIXTURES web/test/*.test.js))
WEB_UNIT_TESTS = $(filter-out $(WEB_FIXTURE_TESTS),$(patsubst web/%,%,$(wildcard web/test/*.test.js)))
NODE_TEST = node --test --test-concurrency=2
WEB_LOGS = web/test-artifacts

web-test: $(STAMP)
	@if [ "$(NODE_OK)" != yes ]; then \
	  echo "SKIPPED: web verifier tests (Node and browser): node >= 20.19 not found"; exit 0; \
	fi; \
	$(MAKE) --no-print-directory $(WEB_STAMP) browser-deps && \
	(cd web && node build.mjs --check) && \
	mkdir -p $(WEB_LOGS) && rm -f $(WEB_LOGS)/*.log || exit 1; \
	if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [ -n "$$CHROMIUM" ]; \
	then chromium=yes; else chromium=no; fi; \
	(cd web && $(NODE_TEST) $(WEB_UNIT_TESTS)) >$(WEB_LOGS)/node-unit.log 2>&1 & unit=$$!; \
	node=1; browser=0; \
	if $(BIN)/python web/test/make_fixtures.py $(WEB_FIXTURES) 2>$(WEB_LOGS)/fixtures.log; then \
	  export SOLVENCY_WEB_FIXTURES=$(CURDIR)/$(WEB_FIXTURES); \
	  if [ $$chromium = yes ]; then \
	    (cd web && npm run --silent test:browser) >$(WEB_LOGS)/browser.log 2>&1 & br=$$!; \
	  fi; \
	  (cd web && $(NODE_TEST) $(WEB_FIXTURE_TESTS)) >$(WEB_LOGS)/node-fixtures.log 2>&1; node=$$?; \
	  if [ $$chromium = yes ]; then wait $$br; browser=$$?; fi; \
	fi; \
	wait $$unit; unit=$$?; \
	for f in fixtures node-unit node-fixtures browser; do \
	  [ -f $(WEB_LOGS)/$$f.log ] && { echo "--- web test: $$f"; cat $(WEB_LOGS)/$$f.log; }; \
	done; \
	echo "web tests: Node $$( [ $$unit = 0 ] && echo passed || echo FAILED) (no fixtures), fixtures and Node $$( [ $$node = 0 ] && echo passed || echo FAILED), browser $$( [ $$chromium = no ] && echo SKIPPED || { [ $$browser = 0 ] && echo passed || echo FAILED; })"; \
	if [ $$chromium = no ]; then echo "SKIPPED: web verifier browser test: chromium not found (apt-get install chromium)"; fi; \
	[ $$unit = 0 ] && [ $$node = 0 ] && [ $$browser = 0 ]

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
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info web/node_modules web/test-artifacts
