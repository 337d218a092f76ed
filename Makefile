# The two commands of the README. Both set up a local .venv first (again only when
# pyproject.toml changes), so a fresh clone needs nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8080
SCENARIO ?= scenarios/default.yaml
SLA    ?=
SLA_ARG := $(if $(SLA),--sla-mode $(SLA),)

.PHONY: run test lint format check-scenarios clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	touch $(STAMP)

run: $(STAMP)  # make run [PORT=9000] [SCENARIO=my.yaml] [SLA=off|record|reject]
	$(BIN)/lefi-sim serve --scenario $(SCENARIO) --host 127.0.0.1 --port $(PORT) $(SLA_ARG)

test: $(STAMP)
	$(BIN)/python -m pytest

# ruff (lint and format), mypy (strict on domain, engine, scenario) and the layer contracts
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-scenarios: $(STAMP)
	@for f in scenarios/*.yaml; do $(BIN)/lefi-sim scenario check $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache *.egg-info
