# Two commands: `make demo` runs every job on the embedded Kent scenario; `make test` runs the checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench mutate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lift demo --out out

lint: $(STAMP)
	$(BIN)/ruff check allocator api tests benchmarks
	$(BIN)/mypy allocator
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Mutation testing (outside CI; hours for everything): `make mutate ONLY='allocator.staffing*'` for one
# module's mutants. Survivors: `.venv/bin/mutmut results`; see docs/testing.md.
ONLY ?=
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,mutation]'
	$(BIN)/mutmut run --max-children 2 $(ONLY)
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) out mutants .pytest_cache .mypy_cache .ruff_cache
