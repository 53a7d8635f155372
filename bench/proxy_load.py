"""A 60-second load through the compose-style proxy path: Debian's Varnish with
varnish/default.vcl in front of gunicorn (2 sync workers, DEBUG off), 16
connections in all: 12 on a year archive (served by the cache) and 4 on
/cookies/ (a private page the cache passes to gunicorn). Prints requests,
requests per second and errors (non-2xx/3xx and socket errors) and exits 1
on any error.

    .venv/bin/python bench/proxy_load.py   (after `make bench`: it reuses bench_news)
"""

import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.news_pages import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    base_environment,
    find_wrk,
    gunicorn,
    varnish,
)

SECONDS = 60


def wrk_run(wrk, port, path, connections):
    output = subprocess.run(
        [wrk, "--threads", "1", "--connections", str(connections), "--duration", f"{SECONDS}s",
         "--timeout", "10s", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True, timeout=SECONDS + 60,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    errors = (int(bad.group(1)) if bad else 0) + (
        sum(int(n) for n in sockets.groups()) if sockets else 0)
    return requests, errors


def main():
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    env = {**base_environment(database_url), "REDIS_URL": redis_url}
    wrk = find_wrk("wrk")
    runs = [("/news/2021/", 12), ("/cookies/", 4)]
    with gunicorn(env) as app_port, tempfile.TemporaryDirectory() as workdir:
        with varnish(app_port, Path(workdir)) as port:
            with ThreadPoolExecutor(len(runs)) as pool:
                results = list(pool.map(lambda run: wrk_run(wrk, port, *run), runs))
    total_errors = 0
    print(f"{SECONDS} s through Varnish, 16 connections:")
    for (path, connections), (requests, errors) in zip(runs, results, strict=True):
        total_errors += errors
        print(f"  {path:<14} {connections:>2} connections {requests:>9,} requests "
              f"{requests / SECONDS:>9.1f}/s  errors {errors}")
    print(f"errors in all: {total_errors}")
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main())
