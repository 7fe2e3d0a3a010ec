# sop-addin: `make demo` plans the demo company; `make test` runs every check.
# Both work on a fresh machine: they create .venv and install what is missing.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install install-test libreoffice lint typecheck pytest template bench clean addin

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# LibreOffice headless is the real spreadsheet the tests open every produced workbook with;
# python3-uno lets a test drive it (the system Python's UNO bridge compiles the VBA modules).
libreoffice:
	@{ command -v soffice >/dev/null 2>&1 && /usr/bin/python3 -c "import uno" 2>/dev/null; } || { \
		echo "installing LibreOffice Calc (headless) and its Python bridge"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			libreoffice-calc-nogui python3-uno; }

demo: install
	$(BIN)/sop demo --out workbooks/demo

lint: install-test
	$(BIN)/ruff check sop_addin tests benchmarks udfs
	$(BIN)/ruff format --check sop_addin tests benchmarks udfs

typecheck: install-test
	$(BIN)/mypy sop_addin

# Two workers, each test module on one of them (module fixtures are built once): about half
# the wall time on a 2-core machine. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
pytest: install-test libreoffice
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

test: lint typecheck pytest

template: install
	$(BIN)/sop template --out templates/

# The macro-enabled template and the add-in: the ribbon shows the actions registered now.
addin: install
	$(BIN)/sop addin build --out templates/

bench: install
	$(BIN)/python benchmarks/bench_cycle.py

clean:
	rm -rf $(VENV) workbooks/demo .pytest_cache .mypy_cache .ruff_cache
