"""Report size of a 50-turn CUA test on a busy page, per report and per model turn.

Runs a generated suite (one test, 50 model turns on `tests/pages/busy.html`, a TodoMVC-like
app on a textured background, scripted through the fake server) with pytest-html
(self-contained), Allure and the standalone trail, at the default report images and as
exact PNG, then measures the artifacts and how long Chromium takes to load the trail.
Each source tree given is measured (PYTHONPATH), so the previous main can be compared:

    python benchmarks/report_size.py . /tmp/before
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TURNS = 50

TEST = f"""
import os
from pytest_cua.testing import click, computer_call, scroll, turn, verdict

import pytest

@pytest.mark.cua(max_steps={TURNS + 5})
def test_fifty_turns(cua_fake_server, page, cua_agent):
    page.goto("file://" + os.environ["BUSY_PAGE"])
    turns = []
    for n in range({TURNS - 1}):
        action = scroll(640, 400, scroll_y=120) if n % 2 else click(200 + n * 10, 300)
        turns.append(turn(computer_call(action)))
    turns.append(turn(verdict(True, "read everything")))
    cua_fake_server.script(*turns)
    cua_agent("Read every headline")
"""


def run(folder: Path, source: Path, fmt: str) -> dict:
    out = folder / f"{source.name}-{fmt}"
    out.mkdir()
    env = dict(os.environ, BUSY_PAGE=str(folder / "busy.html"), PYTHONPATH=str(source))
    images = [] if fmt == "default" else [f"--cua-report-images={fmt}"]
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder),
           *images, f"--html={out}/report.html", "--self-contained-html",
           f"--alluredir={out}/allure", f"--cua-trail-dir={out}/trails", f"--rootdir={folder}"]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=folder, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    wall = time.perf_counter() - started
    trail = next(p for p in (out / "trails").glob("*.html") if p.name != "index.html")
    allure = sum(p.stat().st_size for p in (out / "allure").iterdir())
    html = (out / "report.html").stat().st_size
    return {
        "source": str(source), "images": fmt,
        "pytest_html_kib_per_turn": round(html / 1024 / TURNS, 1),
        "allure_kib_per_turn": round(allure / 1024 / TURNS, 1),
        "trail_kib_per_turn": round(trail.stat().st_size / 1024 / TURNS, 1),
        "trail_load_ms": load_ms(trail),
        "run_seconds": round(wall, 2),
    }


def load_ms(path: Path) -> float:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from conftest import CHROMIUM_ARGS, system_chromium

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=system_chromium(),
                                    args=[*CHROMIUM_ARGS, "--no-sandbox"])
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        # every picture shown is decoded (the viewer's filmstrip loads lazily, off screen)
        page.evaluate("() => Promise.all([...document.images].filter(i => i.loading !== "
                      "'lazy').map(i => i.decode()))")
        elapsed = (time.perf_counter() - started) * 1000
        browser.close()
    return round(elapsed, 1)


def main() -> None:
    sources = [Path(p).resolve() for p in sys.argv[1:]] or [ROOT]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
        shutil.copy(ROOT / "tests" / "pages" / "busy.html", folder / "busy.html")
        (folder / "test_big.py").write_text(TEST)
        results = [run(folder, source, fmt) for source in sources
                   for fmt in ("default", "png")]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
