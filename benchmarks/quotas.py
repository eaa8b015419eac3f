"""A live suite past its provider quota: 16 tests x 10 turns at `-n 8`, a 1 s model, 2/s.

The fake servers of all eight workers enforce one shared rate limit of `RATE` request
starts per second (120 per minute at 2/s), answering 429 with retry-after-ms beyond it, as
Azure OpenAI and OpenAI do. Measured per configuration, each a fresh pytest process: wall
time, outcomes, requests served and refused, against the quota's floor (requests / rate:
no client can finish sooner).

Configurations: `learned` (no setting: 429s are honoured by every worker and teach the
pace) and `declared` (`--cua-requests-per-minute`). With BENCH_OTHER_TREE=/path, the same
suite also runs against another checkout (e.g. the previous main) for comparison.

(`--cua-loop-limit=0`: the scripted model clicks the same button every turn.)

Usage:  python benchmarks/quotas.py [tests] [turns] [delay] [rate]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUITE = '''
import os
import pytest
from pytest_cua.testing import click, computer_call, turn, verdict

TURNS, DELAY = int(os.environ["TURNS"]), float(os.environ["DELAY"])

@pytest.mark.parametrize("number", range(int(os.environ["TESTS"])))
def test_live(page, cua_fake_server, cua_agent, number):
    limit = getattr(cua_fake_server, "limit", None)
    if limit is not None:
        limit(int(os.environ["RATE"]), 1.0, shared=os.environ["QUOTA_FILE"])
    else:  # an older tree without the fake's rate limit: the same limit, installed here
        from bench_limit import install
        install(cua_fake_server)
    page.set_content("<button onclick='this.textContent++'>0</button>")
    cua_fake_server.script(*[turn(computer_call(click(20, 15)), delay=DELAY)
                             for _ in range(TURNS - 1)], turn(verdict(True, "done"), delay=DELAY))
    cua_agent("Click the button")
    assert page.inner_text("button") == str(TURNS - 1)
'''

# For a tree whose fake server has no `limit`: wrap its handler with this tree's RateLimit.
BENCH_LIMIT = '''
import os, time
from pytest_cua_bench_quota import RateLimit

def install(server):
    limit = RateLimit(int(os.environ["RATE"]), 1.0, shared=os.environ["QUOTA_FILE"])
    handle = server._handle
    def limited(handler):
        wait = limit.admit(time.time())
        if wait is not None:
            handler._reply(429, limit.body("openai", wait), limit.headers(wait))
            return
        handle(handler)
    server._handle = limited
'''


def run(folder: Path, args: list[str], env: dict[str, str]) -> dict:
    quota_file = folder / "quota.json"
    quota_file.unlink(missing_ok=True)
    env = {**env, "QUOTA_FILE": str(quota_file)}
    started = time.perf_counter()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "8",
               "--cua-loop-limit=0", *args]
    process = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True,
                             timeout=1800)
    wall = time.perf_counter() - started
    counts = {word: int(n) for n, word in
              re.findall(r"(\d+) (passed|failed|errors?)", process.stdout.splitlines()[-1])}
    provider = json.loads(quota_file.read_text()) if quota_file.exists() else {}
    return {"wall_s": round(wall, 1), "outcomes": counts,
            "served": provider.get("served", 0), "refused": provider.get("refused", 0)}


def main() -> None:
    tests = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    turns = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    delay = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    rate = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    requests = tests * turns
    floor = requests / rate
    results: dict = {"tests": tests, "turns_per_test": turns, "model_delay_s": delay,
                     "rate_per_s": rate, "requests": requests, "floor_s": floor,
                     "cores": os.cpu_count()}
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("CUA_", "OPENAI_", "AZURE_OPENAI_", "PYTEST_"))}
    base_env.update(TESTS=str(tests), TURNS=str(turns), DELAY=str(delay), RATE=str(rate))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
        (folder / "test_live.py").write_text(SUITE)
        (folder / "bench_limit.py").write_text(BENCH_LIMIT)
        # This tree's fake rate limit as plain modules, for a tree that has none.
        (folder / "bench_store.py").write_text((ROOT / "pytest_cua/_run/store.py").read_text())
        (folder / "pytest_cua_bench_quota.py").write_text(
            (ROOT / "pytest_cua" / "testing" / "quota.py").read_text().replace(
                "from .._run import store", "import bench_store as store"))
        env = {**base_env, "PYTHONPATH": str(folder)}
        other = os.environ.get("BENCH_OTHER_TREE")
        if other:
            results["other_tree"] = run(folder, [], {**env, "PYTHONPATH": f"{other}:{folder}"})
        results["learned"] = run(folder, [], env)
        results["declared"] = run(folder, [f"--cua-requests-per-minute={rate * 60}"], env)
    for name in ("other_tree", "learned", "declared"):
        if name in results:
            results[name]["x_floor"] = round(results[name]["wall_s"] / floor, 2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
