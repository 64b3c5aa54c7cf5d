#!/bin/sh
# Load benchmark: search pages, the search API, practice pages, the home page and a trivial
# route, side by side in one run,
# on gunicorn with 2 workers (docs/benchmarks.md). Needs wrk (Debian: apt-get install wrk)
# and gunicorn (pip install -e '.[server]').
#
#   bench/load.sh INSTANCE_DIR [PORT] [DURATION]
#
# INSTANCE_DIR holds a knowledge base, e.g. 10,000 generated practices:
#   python bench/generate.py /tmp/kb10k/docs --count 10000
#   KB_INSTANCE_PATH=/tmp/kb10k/inst kb init && KB_INSTANCE_PATH=/tmp/kb10k/inst kb import /tmp/kb10k/docs
set -eu
INSTANCE=${1:?usage: bench/load.sh INSTANCE_DIR [PORT] [DURATION]}
PORT=${2:-8731}
DURATION=${3:-20s}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$HERE/.venv/bin}
URL=http://127.0.0.1:$PORT
LOG=${LOG:-$(mktemp -d)/gunicorn.log}

cd "$HERE"
KB_INSTANCE_PATH=$INSTANCE KB_SECRET_KEY=${KB_SECRET_KEY:-bench} KB_LOG_LEVEL=WARNING \
  "$BIN/gunicorn" -w 2 -b 127.0.0.1:$PORT --timeout 30 wsgi:app >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 120); do
  curl -fs "$URL/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "$URL/readyz"; echo
echo "load: $(uptime)"
# warm both workers' index readers
for c in 16 16; do wrk -t2 -c$c -d3s -s bench/search.lua "$URL" >/dev/null; done

for c in 16 64; do
  echo "== concurrency $c: trivial route /healthz"
  wrk -t2 -c$c -d"$DURATION" --latency "$URL/healthz"
  echo "== concurrency $c: search pages /search?q=... (60 queries)"
  KB_PATH=/search wrk -t2 -c$c -d"$DURATION" --latency -s bench/search.lua "$URL"
  echo "== concurrency $c: search API /api/v1/search?q=... (60 queries)"
  KB_PATH=/api/v1/search wrk -t2 -c$c -d"$DURATION" --latency -s bench/search.lua "$URL"
  echo "== concurrency $c: practice pages /practices/synthetic-NNNNNN (10,000 different)"
  wrk -t2 -c$c -d"$DURATION" --latency -s bench/practices.lua "$URL"
  echo "== concurrency $c: home page /"
  wrk -t2 -c$c -d"$DURATION" --latency "$URL/"
done
echo "load: $(uptime)"
# gunicorn's own logger is called gunicorn.error: count levels and worker timeouts, not names
echo "server errors in the log: $(grep -c -E ' (ERROR|CRITICAL) |WORKER TIMEOUT' "$LOG" || true)"
