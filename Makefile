# Two commands on a fresh clone: `make build` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RECIPE ?= recipes/default.toml
STAMP  := $(VENV)/.installed
TESTED := $(VENV)/.installed-test

.PHONY: build test bench publish setup clean

build: $(STAMP)
	$(BIN)/corpus build $(RECIPE) --validate

test: $(TESTED)
	$(BIN)/python -m pytest

# make publish [REPO=org/name] [ARGS=--dry-run]: build (or reuse) the default recipe's version, then publish it to
# the recipe's dataset.hub_repo, which its card names (REPO, if given, must be the same).
publish: $(STAMP)
	$(BIN)/corpus publish "$$($(BIN)/corpus build $(RECIPE) --quiet)" $(if $(REPO),--repo $(REPO)) $(ARGS)

# Noise-model throughput (the toolkit's lexicon and a generated 40,000-group spintax dictionary), the held-back
# half protocol (out-of-sample against in-sample restoration, two default builds), the spin detector on spinning
# it has never seen (per domain and across domains) and `corpus detect` throughput over the large inputs,
# near-duplicate removal on templated text (1k/4k/20k paragraphs, bounded against every candidate), mining
# a 300-page test crawl beside recipes/large.toml's sources (pairs, learned lexicon, restorer; beside a naive
# miner), then whole builds of recipes/large.toml and a x8 blow-up, 1 and 2 workers, beside a naive baseline
# (about 30 minutes on 2 cores).
# BENCH_ARGS="--scales 1 --workers 2" for a quick look.
bench: $(TESTED)
	$(BIN)/python -m benchmarks.noise
	$(BIN)/python -m benchmarks.heldout
	$(BIN)/python -m benchmarks.detect
	$(BIN)/python -m benchmarks.dedup
	$(BIN)/python -m benchmarks.mining --large
	$(BIN)/python -m benchmarks.build $(BENCH_ARGS)

setup: $(STAMP)

# `make build` installs the toolkit alone; `make test` and `make bench` add the test tools and Ray (~240 MB).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(TESTED): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,ray]'
	touch $(TESTED)

clean:
	rm -rf dist .pytest_cache
