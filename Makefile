# Brobygning: `make run` runs the pipeline on the default project, `make test` runs the tests.
# Both create .venv from requirements.lock the first time and reuse it afterwards.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROJECT ?= motion-paa-recept
CORES ?= 2
SCALE ?= default

.DEFAULT_GOAL := help
.PHONY: help run site unlock test lint simulate validate lock clean-outputs browser slurm r pdf report audit bench

help: ## List what a newcomer can run
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name brobygning --display-name "Brobygning (.venv)" >/dev/null
	touch $(STAMP)

run: $(STAMP) ## Run the whole pipeline on PROJECT (default: motion-paa-recept)
	$(BIN)/snakemake --profile profiles/default --cores $(CORES) --config project=$(PROJECT)

site: $(STAMP) ## After changing one site's raw files: rebuild SITE's report (and the pooled models it needs) only
	$(if $(SITE),,$(error make site needs SITE=<a site id from config/projects/$(PROJECT)/sites.tsv>))
	$(BIN)/snakemake --profile profiles/default --cores $(CORES) reports/$(PROJECT)/sites/$(SITE).html --config project=$(PROJECT)

unlock: $(STAMP) ## After a killed run (power cut, kill -9): remove its stale lock, then `make run` resumes
	$(BIN)/snakemake --unlock --config project=$(PROJECT)

test: $(STAMP) browser slurm r ## Run the whole test suite (unit, reproducibility, end-to-end, browser, SLURM, R cross-check)
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff on code and notebooks, snakemake --lint on the workflow
	$(BIN)/ruff check src tests notebooks
	$(BIN)/snakemake --lint --config project=$(PROJECT)

browser: ## Install Debian's Chromium for report checks and PDFs (apt-get as root; nothing if present)
	@if [ -x /usr/bin/chromium ]; then /usr/bin/chromium --version 2>/dev/null; \
	elif [ "$$(id -u)" != 0 ]; then echo "make browser: run as root to apt-get install chromium" >&2; exit 1; \
	else apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi

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
	$(BIN)/python -m analysis audit $(PROJECT)

report: $(STAMP) ## Snakemake's own report bundle (all HTML reports with captions) for PROJECT
	$(BIN)/snakemake --config project=$(PROJECT) --report reports/$(PROJECT)/snakemake-report.zip

pdf: $(STAMP) browser ## Print every report page of PROJECT to an A4 PDF beside it
	$(BIN)/python -m analysis.tools.browser pdf reports/$(PROJECT)

bench: $(STAMP) ## Time the pipeline against its floor: SCALE=default|98x1000|98x5000, MODELS_ONLY=1 (docs/performance.md)
	$(BIN)/python -m analysis.bench --scale $(SCALE) --cores $(CORES) $(if $(MODELS_ONLY),--models-only)

simulate: $(STAMP) ## Regenerate PROJECT's synthetic raw data from its simulation.yaml (deterministic)
	$(BIN)/python -m analysis.simulation --project $(PROJECT)

validate: $(STAMP) ## Recovery study: 7 scenarios x 1,000 replicates, naive/clustered/bootstrap coverage (~25 CPU-min)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 nice -n 10 $(BIN)/python -m analysis.simulation.recovery \
		--project-dir config/projects/motion-paa-recept --replicates 1000 --first-seed 1000 --jobs $(CORES) \
		--out data/processed/validation-replicates.csv

lock: ## Rebuild requirements.lock from pyproject.toml in a scratch venv
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet ".[dev]"
	{ head -n 2 requirements.lock; .lock-venv/bin/python -m pip freeze --exclude brobygning-analysis; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

clean-outputs: ## Remove processed data and reports of PROJECT (raw data is never touched)
	rm -rf data/processed/$(PROJECT) reports/$(PROJECT)
