"""Report size of a 50-turn CUA test, PNG versus JPEG report images.

Runs a generated suite (one test, 50 model turns on a busy page, scripted through the fake
server) with pytest-html (self-contained), Allure and the standalone trail, then measures
the artifacts and how long Chromium takes to load the trail. Usage:

    python benchmarks/report_size.py
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

BUSY_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>News</title><style>
body{margin:0;font:15px Georgia,serif;background:#fdfcf8} header{background:#1b3a57;color:#fff;
padding:14px 24px;font:bold 26px sans-serif} .grid{display:grid;grid-template-columns:repeat(3,1fr);
gap:18px;padding:18px} article{background:#fff;border:1px solid #ddd;padding:12px}
.pic{height:90px;background:linear-gradient(135deg,#c96,#39c,#6c9)} h2{font-size:18px}
</style></head><body><header>The Daily Fixture</header><div class="grid">
""" + "".join(
    f"<article><div class='pic'></div><h2>Headline number {i}: tests that read like plans</h2>"
    f"<p>Paragraph {i}. Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do "
    "eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam."
    "</p><button>Read more</button></article>" for i in range(30)
) + "</div></body></html>"

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


def run(folder: Path, fmt: str) -> dict:
    out = folder / fmt
    out.mkdir()
    env = dict(os.environ, BUSY_PAGE=str(folder / "busy.html"))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder),
           f"--cua-report-images={fmt}", f"--html={out}/report.html", "--self-contained-html",
           f"--alluredir={out}/allure", f"--cua-trail-dir={out}/trails", f"--rootdir={folder}"]
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=folder, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    wall = time.perf_counter() - started
    trail = next((out / "trails").glob("*.html"))
    allure = sum(p.stat().st_size for p in (out / "allure").iterdir())
    return {
        "format": fmt,
        "pytest_html_bytes": (out / "report.html").stat().st_size,
        "trail_bytes": trail.stat().st_size,
        "allure_bytes": allure,
        "trail_bytes_per_turn": trail.stat().st_size // TURNS,
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
        page.evaluate("() => Promise.all([...document.images].map(i => i.decode()))")
        elapsed = (time.perf_counter() - started) * 1000
        browser.close()
    return round(elapsed, 1)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
        (folder / "busy.html").write_text(BUSY_PAGE)
        (folder / "test_big.py").write_text(TEST)
        results = [run(folder, fmt) for fmt in ("png", "jpeg", "webp")]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
