# 共同利用ワークベンチ — the front door: `make dashboards` and `make test` set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8866

.PHONY: setup test test-fast lint dashboards bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(BIN)/ruff check workbench tests benchmarks notebooks dashboards
	$(BIN)/ruff format --check workbench tests benchmarks

test: setup lint
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

test-fast: setup
	$(BIN)/python -m pytest -q -x -p no:cacheprovider tests -m "not browser and not slow"

dashboards: setup
	@echo "ダッシュボード: http://$(HOST):$(PORT)/  (Ctrl+C で終了)"
	$(BIN)/voila dashboards/ --Voila.ip=$(HOST) --Voila.port=$(PORT) --Voila.port_retries=0 --no-browser

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
