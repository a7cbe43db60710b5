# Secret Latency Observatory — `make` lists the targets; `make up` runs the lab, `make test` the whole suite.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BUILD_DIR ?= build
PYTEST_ARGS ?= --durations=25
AWS_ENV ?= terraform/envs/aws
LOCAL_ENV ?= terraform/envs/local
CHECKOV_VENV ?= .venv-checkov
DASHBOARD_ADDRESS ?= 127.0.0.1
DASHBOARD_PORT ?= 8501
VENV_INSTALLER ?= uv
LAB_ARCH ?= $(if $(filter aarch64 arm64,$(shell uname -m)),arm64,x86_64)
PY_PACKAGES := functions collector datastore dashboard lab bench tools
REGION ?=
REGION_ARG = $(if $(REGION),--region $(REGION))

.PHONY: help venv lock build build-lab build-2022 replay up-2022 test test-fast test-unit test-functional test-integration test-e2e lint typecheck \
        bench up dashboard cost preflight bootstrap deploy destroy browser clean

help: ## List the targets with what each does
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: requirements/dev.in requirements/lock.txt requirements/uv.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==26.3
	@echo "venv: installing requirements/dev.in, pinned by requirements/lock.txt, with $(VENV_INSTALLER) …"
	@$(PY) -m tools.venv_install --python $(PY) -r requirements/dev.in -c requirements/lock.txt \
	  --installer $(VENV_INSTALLER)
	@touch $@

venv: $(VENV)/.installed ## Create .venv and install the pinned dependencies

lock: ## Re-resolve requirements/dev.in into requirements/lock.txt (fresh venv)
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet -r requirements/dev.in
	{ echo '# Exact versions installed by `make venv` (pip freeze of a venv built from dev.in). Regenerate with `make lock`.'; \
	  .venv-lock/bin/pip freeze; } > requirements/lock.txt
	rm -rf .venv-lock

build: venv ## Build the deterministic Lambda zips (probe code, deps layers, collector, extension layer) for what each Terraform env deploys
	$(PY) -m tools.build --out $(BUILD_DIR) --runtime-from $(LOCAL_ENV) --runtime-from $(AWS_ENV)

build-lab: venv ## Build only what the lab deploys (envs/local's runtimes, this machine's architecture)
	$(PY) -m tools.build --out $(BUILD_DIR) --runtime-from $(LOCAL_ENV) --arch $(LAB_ARCH)

build-2022: venv ## Build the 2022 run's dependency layer (python3.9: requests 2.28.1, aws-xray-sdk 2.10.0)
	$(PY) -m tools.build --out $(BUILD_DIR) --runtime-from $(LOCAL_ENV) --dependency-set 2022 --arch $(LAB_ARCH) --only deps

replay: venv build-lab build-2022 ## Replay the 2022 run in the lab (python3.9, patch_all, its libraries) beside today's defaults; ends with a RESULT line
	$(PY) -m lab replay 2022

up-2022: venv build-lab build-2022 ## The lab with the 2022 run's configuration as its fleet, measured on the schedule (the Reference page compares it)
	$(PY) -m lab up --replay-config 2022

browser: ## Install Debian's chromium for the browser tests, if it is missing
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: venv browser ## Build and lint side by side (two jobs), then the whole suite as two streams side by side: the slow tests (shown) and the rest (test-output/quick-tests.log)
	$(MAKE) --no-print-directory -j2 --output-sync=target build lint
	$(PY) -m tools.test_streams -- $(PYTEST_ARGS)

test-fast: venv build ## The suite less its slow tests (no lab bring-up, no terraform apply, no browser): for local runs
	$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

test-unit: venv ## Unit tests only (no network)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-functional: venv ## Functional tests only (in-process AWS mock)
	$(PY) -m pytest tests/functional $(PYTEST_ARGS)

test-integration: venv build ## Integration tests only (local AWS endpoint over HTTP, terraform, lab)
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-e2e: venv build browser ## Browser tests only (headless chromium on the dashboard)
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

lint: venv ## ruff, mypy, terraform fmt and validate, checkov
	$(PY) -m ruff check .
	$(PY) -m mypy $(PY_PACKAGES)
	$(PY) -m tools.terraform_lint

typecheck: venv ## mypy alone
	$(PY) -m mypy $(PY_PACKAGES)

bench: venv build ## Run the benchmarks; prints figures and ratios measured on this machine
	$(PY) -m bench

up: venv build-lab ## Run the lab (local AWS endpoint, deployed fleet, schedule) and the dashboard
	$(PY) -m lab up

dashboard: venv ## Open the dashboard alone against the configured table (region as make deploy chooses it), on 127.0.0.1 unless DASHBOARD_ADDRESS says otherwise (see dashboard/README)
	AWS_REGION=$$($(PY) -m tools.region $(REGION_ARG)) && export AWS_REGION && $(PY) -m tools.dashboard_run --address "$(DASHBOARD_ADDRESS)" --port $(DASHBOARD_PORT)

cost: venv ## Monthly cost estimate of the configured AWS fleet, broken down
	$(PY) -m tools.cost $(AWS_ENV)

preflight: venv ## Read-only: the account, region (REGION=), quotas, layers, runtimes and code bucket make deploy would meet
	$(PY) -m tools.preflight $(AWS_ENV) $(REGION_ARG)

bootstrap: venv ## CLOUD-CHANGING: create the S3 bucket for envs/aws's state (once per account) and write envs/aws/backend.hcl
	$(PY) -m tools.state_bootstrap

deploy: build ## CLOUD-CHANGING: preflight, then terraform apply of terraform/envs/aws in your AWS account (REGION=)
	$(PY) -m tools.terraform_run $(AWS_ENV) apply $(REGION_ARG)

destroy: ## CLOUD-CHANGING: terraform destroy of terraform/envs/aws (REGION=, the same rule as deploy)
	$(PY) -m tools.terraform_run $(AWS_ENV) destroy $(REGION_ARG)

.PHONY: deploy-regions destroy-regions
REGIONS ?=

deploy-regions: build ## CLOUD-CHANGING: the fleet in every region of REGIONS="home other…", all writing to the first one's table (one state per region)
	$(PY) -m tools.regions $(AWS_ENV) apply $(REGIONS)

destroy-regions: ## CLOUD-CHANGING: terraform destroy in every region of REGIONS="home other…", the home region last
	$(PY) -m tools.regions $(AWS_ENV) destroy $(REGIONS)

clean: ## Remove build output and caches (keeps .venv)
	rm -rf $(BUILD_DIR) .pytest_cache .mypy_cache .ruff_cache test-output
