# The two set-up commands: `make demo` (install + run the demo end to end) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(abspath $(VENV))/bin
CORES ?= 2
export PATH := $(BIN):$(PATH)
export HF_HUB_OFFLINE := 1

.PHONY: install demo test lint dag report clean-demo

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

demo: install
	$(BIN)/snakemake --cores $(CORES)

test: install
	$(BIN)/python -m pytest -q tests

# the self-contained HTML report of a finished run (`make demo` first)
report: install
	$(BIN)/snakemake --report results/report.html

lint: install
	$(BIN)/snakemake --lint

# needs graphviz (`apt-get install graphviz`)
dag: install
	$(BIN)/snakemake --rulegraph | dot -Tpng > docs/rulegraph.png

clean-demo:
	rm -rf results resources/demo
