# esgqa: set-up, run, test. Every target is idempotent: a second run reuses what is there.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export TIKTOKEN_CACHE_DIR := $(CURDIR)/.cache/tiktoken

.PHONY: setup run serve index test lint unit browser-deps bench bench-full bench-api bench-build bench-ingest eval eval-corpus clean train

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first: the machine's pip config then takes the local CPU build, not a CUDA one
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)
	$(PY) -m qa.cli setup-cache

index: setup
	$(PY) -m qa.cli index --if-stale

run: index
	$(PY) -m qa.cli serve --host 127.0.0.1 --port 8000 --workers 2

# Headless Chromium for the widget's browser tests (Debian packages; no browser downloads).
browser-deps:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "!!! could not install chromium: browser tests will be SKIPPED !!!"; \
	else echo "!!! chromium missing and cannot be installed here: browser tests will be SKIPPED !!!"; fi

lint: setup
	$(VENV)/bin/ruff check qa tests bench
	$(VENV)/bin/mypy qa

test: setup browser-deps lint index
	$(PY) -m pytest -q

unit: setup
	$(PY) -m pytest -q -m "not slow and not browser"

# BACKENDS: the embedding backends compared side by side (ask latency, query encode, serving RSS with
# ESGQA_MMAP_INDEX off and on); a backend other than the configured one gets its index in var/bench-index/
BACKENDS ?= torch,onnx,onnx-int8
bench: index
	$(PY) bench/bench_retrieval.py --quick --torch-threads 1
	$(PY) bench/bench_ask.py --torch-threads 1 --backend $(BACKENDS) --mmap both

# 1,000,000 synthetic vectors for the HNSW recall test (the HNSW build alone takes 20+ min on 2 cores)
bench-full: index
	$(PY) bench/bench_retrieval.py --synthetic-n 1000000 --torch-threads 1

bench-api: index
	$(PY) bench/bench_api.py

# Index builds, each backend side by side in one run: the bundled reports and $(CORPUS) (skipped when
# absent), in temporary index dirs. CURVE=1 adds the cost curve (1, 2, 4, 6, 8 reports).
CURVE_ARGS = $(if $(CURVE),--curve 1$(comma)2$(comma)4$(comma)6$(comma)8,)
comma := ,
bench-build: setup
	$(PY) bench/bench_build.py --corpus $(CORPUS) --backends $(BACKENDS) $(CURVE_ARGS)

# PDF ingest on a folder of reports (default ../shared/corpus): s/page, chunks, table rows, table facts
CORPUS ?= ../shared/corpus
bench-ingest: setup
	$(PY) bench/bench_ingest.py $(CORPUS) --facts eval/corpus/table_facts.jsonl

# SPLIT=dev or SPLIT=test restricts either eval to that split
EVAL_SPLIT := $(if $(SPLIT),--split $(SPLIT),)
CORPUS_DIR ?= ../shared/corpus

eval: index
	$(PY) -m qa.cli eval eval/questions.jsonl $(EVAL_SPLIT)

# The multi-company set against the shared reports (read-only folder); its own index is built
# under var/corpus-index/ when missing or stale, and the report written under eval/results/corpus/.
eval-corpus: setup
	$(PY) -m qa.cli eval eval/corpus/questions.jsonl --corpus $(CORPUS_DIR) --manifest eval/corpus/reports.json $(EVAL_SPLIT)

clean:
	rm -rf $(VENV) index/builds index/current .cache

# The learned answer ranker, span picker and confidence model (qa/compose/model/), from the bundled
# eval set, the multi-company dev set (../shared/corpus) and generated questions; report under eval/reports/
train: index
	$(PY) -m qa.training
