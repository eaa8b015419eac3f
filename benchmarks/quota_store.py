"""Two CI runners, one provider quota: the file store against Redis (`--cua-quota-store`).

Two pytest runs that share nothing but the quota store (separate folders, process trees
and run folders: two machines, simulated), each with TESTS tests of TURNS model turns on
four xdist workers, a scripted model answering in DELAY s, behind one quota of RATE request
starts per second that every fake server enforces together (a sliding 1 s window, 429 with
retry-after-ms beyond it). The floor is the quota's: all turns / RATE. Measured per
configuration: wall time of both runs, outcomes, requests served and refused.

Configurations: the store (`file`: each machine alone, `redis`: one shared state) times the
quota (`learned`: no setting, `declared`: --cua-requests-per-minute). A redis-server is
started for the run (Debian's package).

Usage:  [ONLY=redis-learned] python benchmarks/quota_store.py [tests] [turns] [delay] [rate]
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SUITE = '''
import os
import pytest
from pytest_cua.testing import click, computer_call, turn, verdict

TURNS, DELAY = int(os.environ["TURNS"]), float(os.environ["DELAY"])

@pytest.mark.parametrize("number", range(int(os.environ["TESTS"])))
def test_live(page, cua_fake_server, cua_agent, number):
    cua_fake_server.limit(int(os.environ["RATE"]), 1.0, shared=os.environ["QUOTA_FILE"])
    page.set_content("<button onclick='this.textContent++'>0</button>")
    cua_fake_server.script(*[turn(computer_call(click(20, 15)), delay=DELAY)
                             for _ in range(TURNS - 1)], turn(verdict(True, "done"), delay=DELAY))
    cua_agent("Click the button")
    assert page.inner_text("button") == str(TURNS - 1)
'''


def start_redis() -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0"


def two_machines(tests: int, turns: int, delay: float, rate: int, store: list[str],
                 declared: bool) -> dict:
    work = Path(tempfile.mkdtemp(prefix="cua-two-machines-"))
    provider = work / "provider.json"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CUA_")},
           "TESTS": str(tests), "TURNS": str(turns), "DELAY": str(delay), "RATE": str(rate),
           "QUOTA_FILE": str(provider)}
    model = f"gpt-5.4-{uuid.uuid4().hex[:8]}"  # a quota of its own on a shared Redis
    args = ["-p", "no:cacheprovider", "-n", "4", "-q", "--cua-loop-limit=0",
            f"--cua-model={model}", *store]
    if declared:
        args.append(f"--cua-requests-per-minute={rate * 60}")
    runs = []
    started = time.monotonic()
    for machine in ("a", "b"):
        folder = work / machine
        folder.mkdir()
        (folder / "test_live.py").write_text(SUITE)
        shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
        runs.append(subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=folder,
                                     env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True))
    outputs = [run.communicate()[0] for run in runs]
    wall = time.monotonic() - started
    counts = json.loads(provider.read_text())
    shutil.rmtree(work, ignore_errors=True)
    return {"wall": wall, "floor": 2 * tests * turns / rate,
            "outcomes": [o.strip().splitlines()[-1] for o in outputs], **counts}


def main() -> None:
    tests, turns, delay, rate = (int(sys.argv[1]) if len(sys.argv) > 1 else 8,
                                 int(sys.argv[2]) if len(sys.argv) > 2 else 10,
                                 float(sys.argv[3]) if len(sys.argv) > 3 else 1.0,
                                 int(sys.argv[4]) if len(sys.argv) > 4 else 2)
    process, url = start_redis()
    try:
        print(f"two machines x {tests} tests x {turns} turns, -n 4 each, {delay:g} s model, "
              f"{rate}/s quota: floor {2 * tests * turns / rate:.0f} s")
        print("| store | quota | wall | x floor | outcomes (a; b) | served | refused (429) |")
        print("|---|---|---|---|---|---|---|")
        only = os.environ.get("ONLY", "")  # e.g. ONLY=redis-learned: one configuration
        for name, store in (("file", []), ("redis", [f"--cua-quota-store={url}"])):
            for declared in (False, True):
                if only and only != f"{name}-{'declared' if declared else 'learned'}":
                    continue
                found = two_machines(tests, turns, delay, rate, store, declared)
                print(f"| {name} | {'declared' if declared else 'learned'} | "
                      f"{found['wall']:.1f} s | {found['wall'] / found['floor']:.2f}x | "
                      f"{'; '.join(found['outcomes'])} | {found.get('served', 0)} | "
                      f"{found.get('refused', 0)} |", flush=True)
    finally:
        process.kill()


if __name__ == "__main__":
    main()
