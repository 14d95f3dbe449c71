# 共同利用ワークベンチ — the front door: `make dashboards` and `make test` set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8866

.PHONY: setup test test-fast lint dashboards notebooks bench clean docs wheel wheel-check

# The distribution was called "workbench" before it became kyodo-riyo-workbench: an old .venv loses that one
# first (its editable finder would shadow workbench.data, and uninstalling it later would take the command).
$(STAMP): pyproject.toml setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip uninstall -q -y workbench 2>/dev/null || true
	$(BIN)/python -m pip install -q -e '.[dev,docs]'
	@touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(BIN)/ruff check workbench tests benchmarks notebooks dashboards tools docs/conf.py setup.py data
	$(BIN)/ruff format --check workbench tests benchmarks tools docs/conf.py setup.py data

# After pytest, the three checks that follow are independent (nbval runs its kernels with their own HOME and output
# folder, the docs build writes docs/_generated/ and build/docs/, the wheel check copies the sources without
# docs/_generated/ and works in a temporary folder): they run side by side, each one's output printed in one piece
# when it ends (-O), so the core one of them leaves idle (nbval waits for its kernels, pip for the disk) is used.
test: setup lint
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile tests
	@$(MAKE) --no-print-directory -j3 -O test-nbval test-docs test-wheel

.PHONY: test-nbval test-docs test-wheel
test-nbval: setup
	$(NBVAL) notebooks dashboards

test-docs: setup
	$(DOCS_BUILD)

test-wheel: setup
	$(BIN)/python tools/check_wheel.py

# nbval: the executed notebooks (07 and notebooks/examples/09) and the dashboards, strict mode (never --nbval-lax
# in addopts); HOME and the notebooks' exports go to a temporary folder so the run leaves the repo clean.
NBVAL = tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && HOME=$$tmp WORKBENCH_OUTPUT=$$tmp/output \
	WORKBENCH_PREFECTURE= $(BIN)/python -m pytest -q -p no:cacheprovider --nbval --nbval-current-env \
	--nbval-sanitize-with tests/nbval_sanitize.cfg

# The offline HTML reference: build/docs/html/index.html. Warnings are errors; the doctest builder then runs every
# example of the reference (docstrings and pages; docs/analysis/analyst_tasks.py runs in conf.py at each build);
# (the doctest build reuses the analysis output the HTML build has just made: WORKBENCH_DOCS_REUSE_ANALYSIS);
# check_docs.py makes sure no page loads anything from the internet and every public name, result class (fields,
# frame columns), notebook and docs/ page is there.
DOCS_BUILD = rm -rf build/docs && $(BIN)/sphinx-build -W --keep-going -q -b html docs build/docs/html \
	&& WORKBENCH_DOCS_REUSE_ANALYSIS=1 $(BIN)/sphinx-build -W --keep-going -q -b doctest docs build/docs/doctest \
	&& $(BIN)/python tools/check_docs.py build/docs/html

docs: setup
	$(DOCS_BUILD)
	@echo "build/docs/html/index.html"

# The wheel (dist/): built from a clean copy of the sources, its contents checked.
wheel: setup
	$(BIN)/python tools/check_wheel.py --build-only dist

# The wheel installed into a fresh environment outside the checkout and used from another folder (also in test).
wheel-check: setup
	$(BIN)/python tools/check_wheel.py

test-fast: setup
	$(BIN)/python -m pytest -q -x -p no:cacheprovider tests -m "not browser and not slow"

# Voila: config in etc/voila/voila.json (sources stripped, no tracebacks, preheated kernels, culling); the wb
# template in share/jupyter drops Voila's Font Awesome CDN links (it ships the font itself): no internet needed.
VOILA_ENV = JUPYTER_PATH=$(CURDIR)/share/jupyter
VOILA_ARGS = --Voila.config_file_paths=$(CURDIR)/etc/voila --Voila.ip=$(HOST) --Voila.port=$(PORT) --Voila.port_retries=0 \
	$(if $(TOKEN),--token=$(TOKEN)) $(if $(POOL),"--BoundedKernelManager.pool=$(POOL)") \
	$(if $(CAP),--BoundedKernelManager.max_kernels=$(CAP))
# TOKEN=...: every page then needs ?token=... once (see README: sharing beyond this machine)
TOKEN ?=
# POOL=8 (or POOL=費用負担シミュレーター=12,2): kernels preheated per dashboard; CAP=40: at most this many kernels,
# pooled ones included (README: a meeting's worth of viewers, with the memory each kernel takes)
POOL ?=
CAP ?=

dashboards: setup
	@echo "ダッシュボード一覧: http://$(HOST):$(PORT)/  (Ctrl+C で終了)"
	@for nb in dashboards/*.ipynb; do echo "  http://$(HOST):$(PORT)/voila/render/$${nb#dashboards/}?pref=07"; done
	$(VOILA_ENV) $(BIN)/voila dashboards/ $(VOILA_ARGS)

# JupyterLab in Japanese on working copies of the Step notebooks (output/notebooks/, not tracked, made without
# outputs so no notebook shows another prefecture's results; a copy is refreshed when the committed notebook is
# newer). Exports and the prefecture file's working copy go to output/notebooks/書き出し/ (JupyterLab's file
# browser lists them, the notebooks link them). tools/notebooks.py prints (and opens) the full link with its
# token once the server answers. PREF=09: every notebook works on that prefecture. Config in etc/jupyter.
LAB_PORT ?= 8888
PREF ?=
notebooks: setup
	$(BIN)/python tools/notebooks.py --host $(HOST) --port $(LAB_PORT) $(if $(PREF),--prefecture $(PREF))

# B2 compares with coopgame-py (PyPI; a benchmark-only dependency, not the library's)
bench: setup
	$(BIN)/python -m pip install -q 'coopgame-py>=0.3'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts build dist docs/_generated
