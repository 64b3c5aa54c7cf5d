"""A bulk import on one node leaves search on a second node answering throughout.

Two nodes share one SQLite database, each with its own index folder. Node B
runs under gunicorn (2 workers) and is searched without pause while node A
runs `kb import` of N generated documents; then the script waits for node B
to catch up on its own. It prints how many searches B answered, how many
failed (status >= 500 or no answer), the slowest, the backlog B reported,
and whether B's index ended equal to the published rows.

    python bench/two_nodes.py WORK_DIR [--count 10000] [--port 8741]

Needs gunicorn (pip install -e '.[server]'). Every process it starts is
stopped before it exits.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from bench.generate import write_documents  # noqa: E402

QUERIES = ["flood", "permit", "bicycle", "library", "wardens", "school", "heat", "waste"]


def get(url: str, timeout: float = 35.0) -> tuple[int, dict | None, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.loads(response.read())
            return response.status, body, time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, None, time.monotonic() - started
    except Exception:
        return 0, None, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--port", type=int, default=8741)
    args = parser.parse_args()
    work = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    db = f"sqlite:///{work / 'shared.sqlite3'}"
    env = {**os.environ, "KB_DATABASE_URL": db, "KB_SECRET_KEY": "bench",
           "KB_LOG_LEVEL": "WARNING"}
    node_a = {**env, "KB_INSTANCE_PATH": str(work / "node-a"),
              "KB_INDEX_DIR": str(work / "node-a" / "index")}
    node_b = {**env, "KB_INSTANCE_PATH": str(work / "node-b"),
              "KB_INDEX_DIR": str(work / "node-b" / "index")}
    docs = work / "docs"
    if not docs.is_dir():
        write_documents(docs, args.count)
    subprocess.run([bin_dir / "kb", "init"], env=node_a, check=True, cwd=HERE,
                   stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    with open(work / "node-b.log", "w") as log:
        server = subprocess.Popen(
            [bin_dir / "gunicorn", "-w", "2", "-b", f"127.0.0.1:{args.port}", "--timeout", "30",
             "wsgi:app"], env=node_b, cwd=HERE, stdout=log, stderr=subprocess.STDOUT)
    importer = None
    try:
        for _ in range(240):
            if get(f"{base}/healthz", 2)[0] == 200:
                break
            time.sleep(0.5)
        print("node B ready:", get(f"{base}/readyz")[1], flush=True)
        started = time.monotonic()
        # to a file: a pipe nobody reads until the end fills up and stops the import
        import_log = open(work / "import.log", "w")
        importer = subprocess.Popen([bin_dir / "kb", "import", str(docs)], env=node_a, cwd=HERE,
                                    stdout=import_log, stderr=subprocess.DEVNULL, text=True)
        latencies, failures, most_pending, i = [], 0, 0, 0
        caught_up_at = None
        while True:
            status, body, seconds = get(f"{base}/api/v1/search?q={QUERIES[i % len(QUERIES)]}")
            i += 1
            latencies.append(seconds)
            if status != 200:
                failures += 1
            elif body:
                most_pending = max(most_pending, body.get("pending", 0))
            if importer.poll() is not None:
                ready = get(f"{base}/readyz")[1] or {}
                if ready.get("pending", {}).get("search") == 0:
                    caught_up_at = time.monotonic()
                    break
                time.sleep(0.2)
        import_log.close()
        imported = (work / "import.log").read_text().strip().splitlines()[-1]
        latencies.sort()
        ready = get(f"{base}/readyz")[1]
        check = subprocess.run(
            [sys.executable, "-c", CHECK], env=node_b, cwd=HERE, capture_output=True, text=True)
        print(f"import on node A: {imported}")
        print(f"searches on node B: {len(latencies)}, failed: {failures}, "
              f"median {statistics.median(latencies) * 1000:.0f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms, "
              f"slowest {latencies[-1] * 1000:.0f} ms")
        print(f"largest backlog node B reported: {most_pending} changes; caught up "
              f"{caught_up_at - started:.0f} s after the import started")
        print(f"node B at the end: {ready}; {check.stdout.strip() or check.stderr[-500:]}")
        return 0 if failures == 0 and "equal" in check.stdout else 1
    finally:
        for proc in (importer, server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)


CHECK = """
from sqlalchemy import select
from kb import create_app
from kb.db import session
from kb.models import Practice, PracticeStatus
from kb.services.search import get_index
app = create_app({"AUTO_INIT": False})
with app.app_context():
    published = set(session().scalars(select(Practice.id).where(
        Practice.status == PracticeStatus.PUBLISHED)))
    indexed = get_index().doc_ids()
    print("node B index equal to the published rows" if indexed == published else
          f"node B index differs: {len(indexed)} indexed, {len(published)} published")
"""

if __name__ == "__main__":
    sys.exit(main())
