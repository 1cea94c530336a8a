# Brobygning: `make run` runs the pipeline on the default project, `make test` runs the tests.
# Both create .venv from requirements.lock the first time and reuse it afterwards.
# The newest Python from 3.11.2 (Debian 12's) to 3.13 on PATH; `make PYTHON=/path/to/python` chooses another.
SUPPORTED_PYTHON := import sys; sys.exit(not (3, 11, 2) <= sys.version_info[:3] < (3, 14))
ifndef PYTHON
PYTHON := $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c '$(SUPPORTED_PYTHON)' 2>/dev/null && { command -v $$p; break; }; done)
endif
NEEDS_PYTHON := Brobygning needs Python 3.11.2 to 3.13 with venv (python3.13, python3.12 or python3.11 on PATH): \
	install one (Debian/Ubuntu: sudo apt-get install python3 python3-venv) or run make PYTHON=/path/to/python3.X
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CLI := $(BIN)/brobygning
PROJECT ?= motion-paa-recept
CORES ?= 2
SCALE ?= default

.DEFAULT_GOAL := help
.PHONY: help run site unlock test lint simulate validate lock clean-outputs browser slurm r pdf report audit bench archive
# What `make test` installs first on CI (CI=true), so that nothing there is skipped. Elsewhere the tests that
# need a missing one are skipped and listed at the end with the command that would enable them.
TEST_SYSTEM := browser slurm r

help: ## List what a newcomer can run
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml src/analysis/__init__.py
	@[ -n "$(PYTHON)" ] && $(PYTHON) -c '$(SUPPORTED_PYTHON)' 2>/dev/null || { echo "$(NEEDS_PYTHON)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name brobygning --display-name "Brobygning (.venv)" >/dev/null
	touch $(STAMP)

run: $(STAMP) ## Run the whole pipeline on PROJECT (default: motion-paa-recept)
	$(CLI) run $(PROJECT) --cores $(CORES)

site: $(STAMP) ## After changing one site's raw files: rebuild SITE's report (and the pooled models it needs) only
	$(if $(SITE),,$(error make site needs SITE=<a site id from config/projects/$(PROJECT)/sites.tsv>))
	$(CLI) site $(SITE) --project $(PROJECT) --cores $(CORES)

unlock: $(STAMP) ## After a killed run (power cut, kill -9): remove its stale lock, then `make run` resumes
	$(CLI) unlock $(PROJECT)

test: $(STAMP) $(if $(filter true,$(CI)),$(TEST_SYSTEM)) ## Run every test this machine can (all of them on CI)
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff check and format, snakefmt and snakemake --lint on the workflow
	$(BIN)/ruff check src tests notebooks scripts
	$(BIN)/ruff format --check src tests notebooks scripts
	$(BIN)/snakefmt --check --line-length 120 workflow/
	$(BIN)/snakemake --lint --config project=$(PROJECT)

browser: $(STAMP) ## Chromium for report checks and PDFs: as root Debian's (apt-get), otherwise Playwright's
	@found=$$($(BIN)/python -c 'from analysis.tools.browser import find_chromium; print(find_chromium() or "")'); \
	if [ -n "$$found" ]; then echo "Chromium: $$found"; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	else $(BIN)/playwright install chromium; fi

slurm: ## Install Debian's SLURM daemons and munge for the cluster test (apt-get as root; nothing if present)
	@if [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && [ -x /usr/sbin/munged ]; then /usr/sbin/slurmctld -V; \
	elif [ "$$(id -u)" != 0 ]; then echo "make slurm: run as root to apt-get install slurmctld slurmd munge" >&2; exit 1; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurmctld slurmd munge; fi

R_PACKAGES := r-base-core r-cran-survival r-cran-sandwich
r: ## Install Debian's R with survival and sandwich for the live R cross-check (apt-get as root; nothing if present)
	@missing="$$(command -v Rscript >/dev/null || echo r-base-core; \
	  for p in survival sandwich; do Rscript -e "library($$p)" >/dev/null 2>&1 || echo r-cran-$$p; done)"; \
	if [ -z "$$missing" ]; then Rscript --version 2>&1 | head -n 1; \
	elif [ "$$(id -u)" != 0 ]; then echo "make r: missing $$(echo $$missing); run as root to apt-get install $(R_PACKAGES)" >&2; exit 1; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(R_PACKAGES); fi

audit: $(STAMP) ## Privacy audit of PROJECT's outputs: personal data, recoverable or small counts
	$(CLI) audit $(PROJECT)

report: $(STAMP) ## Snakemake's own report bundle (all HTML reports with captions) for PROJECT
	$(CLI) report $(PROJECT)

pdf: $(STAMP) browser ## Print every report page of PROJECT to an A4 PDF beside it
	$(CLI) pdf $(PROJECT)

archive: $(STAMP) ## The last run of PROJECT as a citable Workflow Run RO-Crate: reports/PROJECT/archive{/,.zip}
	$(CLI) archive $(PROJECT)

bench: $(STAMP) ## Time the pipeline against its floor: SCALE=default|98x1000|98x5000, MODELS_ONLY=1 (docs/performance.md)
	$(CLI) bench --scale $(SCALE) --cores $(CORES) $(if $(MODELS_ONLY),--models-only)

simulate: $(STAMP) ## Regenerate PROJECT's synthetic raw data from its simulation.yaml (deterministic)
	$(BIN)/python -m analysis.simulation --project $(PROJECT)

validate: $(STAMP) ## Recovery study: 7 scenarios x 1,000 replicates, coverage of every interval (~25 CPU-min)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 nice -n 10 $(BIN)/python -m analysis.simulation.recovery \
		--project-dir config/projects/motion-paa-recept --replicates 1000 --first-seed 1000 --jobs $(CORES) \
		--out data/processed/validation-replicates.csv

lock: $(STAMP) ## requirements.lock for Python 3.11.2-3.13 from pyproject.toml (UPGRADE=1: newest), then the conda envs
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11.2 $(if $(UPGRADE),--upgrade) \
		--custom-compile-command "make lock" --output-file requirements.lock
	$(BIN)/python scripts/conda_environment.py > environment.yml
	$(BIN)/python scripts/conda_environment.py --rules > workflow/envs/brobygning.yaml

clean-outputs: ## Remove processed data and reports of PROJECT (raw data is never touched)
	rm -rf data/processed/$(PROJECT) reports/$(PROJECT)
