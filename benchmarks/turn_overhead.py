"""Client overhead per model turn: pytest-cua's loop versus a loop written like the seed.

Both drive the same real page in Chromium through the same fake Responses API server
(zero model latency), over the real `openai` SDK. Overhead of a turn is the time from the
server writing a response to the next request arriving: executing the action, waiting for
the page, taking and encoding the screenshot, building and sending the request. The
reference is the Azure sample's loop (`../shared/seeds`): a fixed 1.5 s sleep after a
click and 0.5 s after other actions, typing with a 20 ms key delay, a full PNG each turn.
Usage:

    python benchmarks/turn_overhead.py [turns]
"""

from __future__ import annotations

import base64
import functools
import json
import statistics
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import openai
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from conftest import CHROMIUM_ARGS, system_chromium  # noqa: E402
from pytest_cua.agent import CuaAgent  # noqa: E402
from pytest_cua.settings import Settings  # noqa: E402
from pytest_cua.testing import FakeResponsesServer  # noqa: E402

# The flat page, its script of turns and the quiet file server: turn_cost.py's.
sys.path.insert(0, str(ROOT / "benchmarks"))
from turn_cost import FLAT as PAGE  # noqa: E402
from turn_cost import _Quiet, scripted_turns  # noqa: E402


def overheads(server: FakeResponsesServer) -> list[float]:
    calls = server.requests
    return [(calls[i + 1].received - calls[i].replied) * 1000 for i in range(len(calls) - 1)]


def image_bytes(server: FakeResponsesServer) -> int:
    """Mean bytes of the screenshots sent, decoded from their data URLs."""
    sizes = [len(base64.b64decode(url.split(",", 1)[1]))
             for request in server.requests for url in request.images()]
    return round(statistics.fmean(sizes))


def ours(browser, url: str, count: int, fmt: str = "png") -> tuple[list[float], int]:
    with FakeResponsesServer() as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-bench")
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url)
        server.script(*scripted_turns(count))
        settings = Settings(max_steps=count + 5, loop_limit=0, screenshot_format=fmt)
        agent = CuaAgent(page, client, settings)
        agent("Click the buttons and type")
        page.close()
        server.assert_clean()
        return overheads(server), image_bytes(server)


def reference(browser, url: str, count: int) -> tuple[list[float], int]:
    """The seed sample's loop, made to speak the fake server's (correct) wire format."""
    with FakeResponsesServer() as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-bench")
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(url)
        server.script(*scripted_turns(count))
        tools = [{"type": "computer_use_preview", "display_width": 1280, "display_height": 720,
                  "environment": "browser"}]
        shot = base64.b64encode(page.screenshot(full_page=False)).decode()
        response = client.responses.create(
            model="computer-use-preview", tools=tools, truncation="auto",
            input=[{"role": "user", "content": [
                {"type": "input_text", "text": "Click the buttons and type"},
                {"type": "input_image", "image_url": f"data:image/png;base64,{shot}",
                 "detail": "auto"}]}])
        while True:
            calls = [item for item in response.output if item.type == "computer_call"]
            if not calls:
                break
            call, action = calls[0], calls[0].action
            page.bring_to_front()
            if action.type == "click":
                page.mouse.click(action.x, action.y, button=action.button)
                page.wait_for_load_state("domcontentloaded", timeout=3000)
                time.sleep(1.5)
            elif action.type == "type":
                page.keyboard.type(action.text, delay=20)
                time.sleep(0.5)
            shot = base64.b64encode(page.screenshot(full_page=False)).decode()
            response = client.responses.create(
                model="computer-use-preview", tools=tools, truncation="auto",
                previous_response_id=response.id,
                input=[{"type": "computer_call_output", "call_id": call.call_id,
                        "output": {"type": "computer_screenshot",
                                   "image_url": f"data:image/png;base64,{shot}"}}])
        page.close()
        return overheads(server), image_bytes(server)


def summary(measured: tuple[list[float], int]) -> dict:
    values, image_size = measured
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"turns": len(values), "median_ms": round(statistics.median(values), 1),
            "p95_ms": round(p95, 1), "mean_ms": round(statistics.fmean(values), 1),
            "screenshot_bytes": image_size}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "index.html").write_text(PAGE)
        handler = functools.partial(_Quiet, directory=tmp)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_address[1]}/index.html"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=system_chromium(),
                                        args=[*CHROMIUM_ARGS, "--no-sandbox"])
            ours(browser, url, 4)  # warm-up
            result_ours = summary(ours(browser, url, count))
            result_jpeg = summary(ours(browser, url, count, "jpeg"))
            result_ref = summary(reference(browser, url, count))
            browser.close()
        httpd.shutdown()
    print(json.dumps({
        "pytest_cua_png": result_ours, "pytest_cua_jpeg": result_jpeg,
        "seed_reference": result_ref,
        "median_ratio": round(result_ref["median_ms"] / result_ours["median_ms"], 1),
        "mean_ratio": round(result_ref["mean_ms"] / result_ours["mean_ms"], 1),
    }, indent=2))


if __name__ == "__main__":
    main()
