# The two commands of the README. Both set up a local .venv first (again only when
# pyproject.toml changes), so a fresh clone needs nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8080
SCENARIO ?= scenarios/default.yaml

.PHONY: run test check-scenarios clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/lefi-sim serve --scenario $(SCENARIO) --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

check-scenarios: $(STAMP)
	@for f in scenarios/*.yaml; do $(BIN)/lefi-sim scenario check $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis *.egg-info
