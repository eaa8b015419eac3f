"""The pictures of the reports in these docs, made from the example suite, so they stay
current: the suite is copied, broken as a new QA engineer would break it (the "Clear done"
handler does nothing, the settings page's heading is renamed), run with every report, and
each view is photographed in Chromium.

    python docs/pictures/make.py          # writes docs/pictures/*.webp

Allure needs its own CLI to render a report, which this script does not install: its
picture is not made here.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import markdown
from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
SIZE = {"width": 1280, "height": 800}


def broken_suite(folder: Path) -> None:
    shutil.copytree(ROOT / "example_suite", folder / "example_suite",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "conftest.py", folder / "conftest.py")
    index = folder / "example_suite/app/index.html"
    index.write_text(index.read_text().replace(
        "list.querySelectorAll('li.done').forEach(li => li.remove()); dialog.close();",
        "dialog.close();"))
    settings = folder / "example_suite/app/settings.html"
    settings.write_text(settings.read_text().replace(">Settings</h1>", ">Preferences</h1>"))


def run(folder: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT")}
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "example_suite",
                    "--cua-replay-timeout=1", "--cua-trail-dir=trails",
                    "--cua-summary=summary.md", "--html=report.html", "--self-contained-html",
                    "-q"], cwd=folder, env=env, check=False, capture_output=True)


def save(png: bytes, name: str) -> None:
    Image.open(io.BytesIO(png)).convert("RGB").save(HERE / f"{name}.webp", quality=80)
    print(f"docs/pictures/{name}.webp")


def photograph(folder: Path) -> None:
    summary = folder / "summary.html"
    summary.write_text("<meta charset='utf-8'><style>body{font:14px system-ui;margin:20px}"
                       "td,th{border:1px solid #ccc;padding:4px}table{border-collapse:"
                       "collapse}</style>"
                       + markdown.markdown((folder / "summary.md").read_text(),
                                           extensions=["tables"]))
    with sync_playwright() as playwright:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or None, args=args)
        page = browser.new_page(viewport=SIZE)
        page.goto((folder / "report.html").as_uri())
        page.locator(".cua-failure").first.scroll_into_view_if_needed()
        row = page.locator("tbody.results-table-row").first
        page.evaluate("y => window.scrollTo(0, y)", row.bounding_box()["y"] - 10)
        save(page.screenshot(), "pytest-html")
        trail = next((folder / "trails").glob("*clear_done*.html"))
        page.goto(trail.as_uri())
        save(page.screenshot(), "trail")
        page.goto((folder / "trails/index.html").as_uri())
        save(page.screenshot(), "index")
        page.goto(summary.as_uri())
        save(page.screenshot(), "summary")
        browser.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        broken_suite(folder)
        run(folder)
        photograph(folder)


if __name__ == "__main__":
    main()
