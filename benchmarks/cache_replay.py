"""Wall time of a recorded test run live (fake model, 1 s per turn) versus replayed.

Uses the errands scenario of tests/test_cache.py: 4 steps, 7 model turns. Live runs
record with `--cua-cache=record` against the fake server with `delay` seconds per model
turn; replay runs use `--cua-cache=replay` with no server and no credentials. Usage:

    python benchmarks/cache_replay.py [delay_seconds]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import test_cache  # noqa: E402
from _pytest_run import run_pytest  # noqa: E402

DELAY_CONFTEST = """
@pytest.fixture(autouse=True)
def _model_delay(model):
    if model is not None:
        model.delay = float(os.environ["MODEL_DELAY"])
"""


def timed(folder: Path, mode: str, scripted: bool, delay: float) -> tuple[float, float]:
    """(process wall seconds, the test's own seconds from JUnit XML)."""
    wall, times = run_pytest(folder, f"--cua-cache={mode}", "test_errands.py",
                             SCRIPTED="1" if scripted else "0", SCRIPT="record",
                             MODEL_DELAY=str(delay))
    return round(wall, 2), round(next(iter(times.values())), 2)


def main() -> None:
    delay = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        conftest = (ROOT / "conftest.py").read_text() + test_cache.CONFTEST + DELAY_CONFTEST
        (folder / "conftest.py").write_text(conftest)
        (folder / "test_errands.py").write_text(test_cache.TESTS)
        (folder / "errands.html").write_text(test_cache.PAGE % test_cache.ORIGINAL)
        live = [timed(folder, "record", True, delay) for _ in range(3)]
        replay = [timed(folder, "replay", False, delay) for _ in range(3)]
        no_delay = [timed(folder, "off", True, 0.0) for _ in range(3)]
        shutil.rmtree(folder / "cua_cassettes")
    runs = {"live_record": live, "replay": replay, "live_zero_delay": no_delay}
    best = {name: {"process_s": min(r[0] for r in values), "test_call_s": min(r[1] for r in values)}
            for name, values in runs.items()}
    print(json.dumps({
        "delay_per_turn_s": delay, "turns": 7, "runs_each": 3, "best_of_3": best,
        "speedup_test_call": round(best["live_record"]["test_call_s"]
                                   / best["replay"]["test_call_s"], 1),
        "speedup_process": round(best["live_record"]["process_s"]
                                 / best["replay"]["process_s"], 1),
    }, indent=2))


if __name__ == "__main__":
    main()
