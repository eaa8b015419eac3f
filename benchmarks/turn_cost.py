"""Cost of a model turn on the client, on a flat page and on a textured one, and where it goes.

One act step of N turns (clicks on buttons that update the page, alternating with typing)
through the fake Responses API server with zero model latency, over the real `openai` SDK
and real Chromium. A turn's cost is the time from the server writing a response to the
next request arriving (server clock): the action, settling, the screenshot, probes, the
request. Its parts are timed by wrapping the executor's and the dialect's methods.

The textured page is what real sites look like and what flatters nothing: a gradient
background with a film-grain tile, a photo-like canvas and text of several sizes on it.

Legibility: the textured page's screenshot as sent (`auto`) and as exact PNG are read by
Tesseract (`apt-get install tesseract-ocr`), and the words found are compared with the
page's own text. Skipped with a note when Tesseract is missing.

Usage:

    python benchmarks/turn_cost.py [turns] [formats, default auto,png,jpeg]
"""

from __future__ import annotations

import base64
import contextlib
import functools
import inspect
import io
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from conftest import CHROMIUM_ARGS, system_chromium  # noqa: E402
from pytest_cua import CuaAgent  # noqa: E402
from pytest_cua.settings import Settings  # noqa: E402
from pytest_cua.testing import (  # noqa: E402
    FakeResponsesServer,
    click,
    computer_call,
    turn,
    type_text,
    verdict,
)

_BODY = """<h1>Counter</h1><div class="card"><input id="name" aria-label="Name">
<div id="buttons"></div><p id="count">0 clicks</p></div>"""
_SCRIPT = """let n = 0;
for (let i = 0; i < 6; i++) { const b = document.createElement('button');
  b.textContent = 'Button ' + i; b.onclick = () => {
    document.getElementById('count').textContent = (++n) + ' clicks'; };
  document.getElementById('buttons').append(b); }"""
FLAT = f"""<!doctype html><html><head><meta charset="utf-8"><title>Counter</title><style>
body{{font:16px sans-serif;margin:0;padding:20px}} .card{{padding:16px;margin:10px;width:560px}}
button{{width:120px;height:40px;margin:4px}} #name{{width:300px;height:30px}}</style></head>
<body>{_BODY}<script>{_SCRIPT}</script></body></html>"""
TEXT = ("Delivery slots open every morning at seven. Orders placed before noon ship the "
        "same day. Returns are free within thirty days of purchase. Gift cards never "
        "expire and can be combined with any discount code shown at checkout.")
TEXTURED = f"""<!doctype html><html><head><meta charset="utf-8"><title>Counter</title><style>
body{{font:16px sans-serif;margin:0;padding:20px;min-height:100vh;color:#fff;
 background-color:#34495e;background-image:var(--grain),
 radial-gradient(circle at 20% 30%,rgba(255,200,120,.55),transparent 60%),
 linear-gradient(135deg,#2b5876,#4e4376)}}
.card{{background:rgba(0,0,0,.25);border-radius:12px;padding:16px;margin:10px;width:560px}}
#photo{{position:absolute;right:40px;top:60px;border-radius:12px}}
button{{width:120px;height:40px;margin:4px}} #name{{width:300px;height:30px}}
.copy{{width:560px;margin:10px}} .s{{font-size:13px}} .m{{font-size:15px}}</style></head>
<body>{_BODY}<p class="copy s">{TEXT}</p><p class="copy m">{TEXT}</p>
<canvas id="photo" width="480" height="360"></canvas>
<script>
const tile = document.createElement('canvas'); tile.width = tile.height = 200;
const tc = tile.getContext('2d'), grain = tc.createImageData(200, 200);
let seed = 12345; const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
for (let i = 0; i < grain.data.length; i += 4) {{ const v = rnd() * 255;
  grain.data[i] = grain.data[i + 1] = grain.data[i + 2] = v; grain.data[i + 3] = 28; }}
tc.putImageData(grain, 0, 0);
document.body.style.setProperty('--grain', 'url(' + tile.toDataURL() + ')');
const pc = document.getElementById('photo').getContext('2d');
for (let i = 0; i < 60; i++) {{
  const g = pc.createRadialGradient(rnd() * 480, rnd() * 360, 0, rnd() * 480, rnd() * 360,
                                    40 + rnd() * 160);
  g.addColorStop(0, `hsla(${{rnd() * 360}},70%,60%,.8)`); g.addColorStop(1, 'hsla(0,0%,0%,0)');
  pc.fillStyle = g; pc.fillRect(0, 0, 480, 360); }}
const px = pc.getImageData(0, 0, 480, 360);
for (let i = 0; i < px.data.length; i += 4) {{ const d = (rnd() - .5) * 30;
  px.data[i] += d; px.data[i + 1] += d; px.data[i + 2] += d; }}
pc.putImageData(px, 0, 0);
{_SCRIPT}</script></body></html>"""
BUTTON = (110, 176)  # centre of "Button 0" in the 1280x720 viewport (both pages)
# The executor's steps are probes (generators the driver runs): each is timed from its
# first call to its return, the page calls it yields included.
PARTS = {"screenshot": ("computer", "capture"), "settle": ("computer", "settling"),
         "arm": ("computer", "_arming"), "target probe": ("computer", "targeting"),
         "action": ("computer", "executing")}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def scripted_turns(count: int) -> list:
    turns = []
    for n in range(count - 1):
        action = click(BUTTON[0] + 128 * (n % 4), BUTTON[1]) if n % 2 == 0 else type_text("ab")
        turns.append(turn(computer_call(action)))
    turns.append(turn(verdict(True, "done")))
    return turns


@contextlib.contextmanager
def pages_in_chromium(pages: dict[str, str]) -> Iterator[tuple[Any, str]]:
    """The pages served from a temporary folder on a free local port, and a Chromium to
    open them in: (browser, base URL)."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, html in pages.items():
            Path(tmp, name).write_text(html)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=tmp))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=system_chromium(),
                                            args=[*CHROMIUM_ARGS, "--no-sandbox"])
                yield browser, f"http://127.0.0.1:{httpd.server_address[1]}/"
                browser.close()
        finally:
            httpd.shutdown()


def overheads(server: FakeResponsesServer) -> list[float]:
    """Milliseconds from the server writing each reply to the next request arriving."""
    calls = server.requests
    return [(calls[i + 1].received - calls[i].replied) * 1000 for i in range(len(calls) - 1)]


def image_bytes(server: FakeResponsesServer) -> int:
    """Mean bytes of the screenshots sent, decoded from their data URLs."""
    sizes = [len(base64.b64decode(url.split(",", 1)[1]))
             for request in server.requests for url in request.images()]
    return round(statistics.fmean(sizes))


def spread(costs: list[float]) -> dict:
    """Turns, median, p95 and mean of a series of per-turn milliseconds."""
    ordered = sorted(costs)
    return {"turns": len(costs), "median_ms": round(statistics.median(costs), 1),
            "p95_ms": round(ordered[round(0.95 * (len(costs) - 1))], 1),
            "mean_ms": round(statistics.fmean(costs), 1)}


def _timed(spent: dict[str, list[tuple[float, float]]], name: str, method):
    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def probe(*args, **kwargs):
            start = time.perf_counter()
            try:
                return (yield from method(*args, **kwargs))
            finally:
                spent[name].append((start, time.perf_counter()))
        return probe

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            spent[name].append((start, time.perf_counter()))
    return wrapper


def _parts(spent: dict, calls: list, turns: int) -> dict[str, float]:
    """Milliseconds per turn in each part. The request's client side is what the SDK and
    the loop spend building and sending a request and reading its reply (the fake server's
    own time is not a turn's cost); `action` is the whole execute minus its settle and arm."""
    total = {name: sum(end - start for start, end in spans) for name, spans in spent.items()}
    sdk = spent.pop("request", [])
    total.pop("request", None)
    total["request (SDK, client side)"] = sum(
        (calls[i].received - sdk[i][0]) + (sdk[i - 1][1] - calls[i - 1].replied)
        for i in range(1, len(calls)))
    total["action"] -= total.get("settle", 0) + total.get("arm", 0)
    return {name: round(value * 1000 / turns, 1) for name, value in total.items()}


def run(browser, url: str, count: int, fmt: str) -> dict:
    with FakeResponsesServer() as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-bench")
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url)
        server.script(*scripted_turns(count))
        agent = CuaAgent(page, client, Settings(max_steps=count + 5, loop_limit=0,
                                                screenshot_format=fmt))
        spent: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for name, (owner, attribute) in PARTS.items():
            target = getattr(agent, owner)
            setattr(target, attribute, _timed(spent, name, getattr(target, attribute)))
        agent.dialect.send = _timed(spent, "request", agent.dialect.send)
        agent("Click the buttons and type")
        page.close()
        server.assert_clean()
        calls = server.requests
        costs = overheads(server)
        kinds = sorted({u.split(";", 1)[0][5:] for r in calls for u in r.images()})
    return {
        **spread(costs),
        "image_bytes": image_bytes(server), "image_types": kinds,
        # per model turn: total time in each part divided by the turns it served
        "parts_ms_per_turn": _parts(spent, calls, len(costs)),
    }


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]{3,}", text.lower())


def legibility(browser, url: str) -> dict:
    """Words of the page's text Tesseract reads from each screenshot the model could get."""
    if not shutil.which("tesseract"):
        return {"skipped": "tesseract not installed (apt-get install tesseract-ocr)"}
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(url)
    truth = _words(page.inner_text("body"))
    agent = CuaAgent(page, None, Settings(screenshot_format="auto"))
    agent.computer.screenshot()  # learns the page is busy
    sent = agent.computer.screenshot()
    exact = page.screenshot(type="png")
    page.close()
    result = {"sent_as": sent.mime, "sent_bytes": len(sent.png), "png_bytes": len(exact)}
    for label, data in (("sent", sent.png), ("png", exact)):
        with tempfile.NamedTemporaryFile(suffix=".png") as file:
            Image.open(io.BytesIO(data)).convert("RGB").save(file.name)
            read = subprocess.run(["tesseract", file.name, "-"], capture_output=True,
                                  text=True, check=True).stdout
        found = _words(read)
        hits = sum(min(truth.count(w), found.count(w)) for w in set(truth))
        result[f"{label}_words_read"] = f"{hits}/{len(truth)}"
    return result


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    formats = sys.argv[2].split(",") if len(sys.argv) > 2 else ["auto", "png", "jpeg"]
    results: dict = {}
    with pages_in_chromium({"flat.html": FLAT, "textured.html": TEXTURED}) as (browser, base):
        run(browser, base + "flat.html", 4, "png")  # warm-up
        for page in ("flat", "textured"):
            for fmt in formats:
                results[f"{page} {fmt}"] = run(browser, f"{base}{page}.html", count, fmt)
        if "auto" in formats:
            results["legibility (textured)"] = legibility(browser, base + "textured.html")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
