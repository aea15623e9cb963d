# The two commands of the README.  Both work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench install tshark

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

# Wireshark's dissector is a test oracle: install tshark (Debian package) when it is missing.
tshark:
	@command -v tshark >/dev/null 2>&1 || sh scripts/install-tshark.sh

demo: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/hancot demo

lint: install
	$(BIN)/ruff check src tests benchmarks

test: tshark install lint
	$(BIN)/pytest

bench: install
	$(BIN)/python benchmarks/run_all.py
