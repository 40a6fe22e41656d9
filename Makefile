# The checks CI runs (tests/run.sh also installs the servers and builds the wheel first).
# `make check` before every commit; `make lint` alone takes seconds.
PYTHON ?= python3
PYTEST_ARGS ?=

.PHONY: check lint ruff format typecheck layers test

check: lint test

lint: ruff format typecheck layers

ruff:
	$(PYTHON) -m ruff check core cli tui themes tests bench

format:
	$(PYTHON) -m ruff format --check core cli tui themes tests bench

typecheck:
	$(PYTHON) tests/typecheck.py

layers:
	lint-imports

test:
	$(PYTHON) -m pytest $(PYTEST_ARGS)
