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
import json
import sys
import time
from pathlib import Path

import openai

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from pytest_cua import CuaAgent  # noqa: E402
from pytest_cua.settings import Settings  # noqa: E402
from pytest_cua.testing import FakeResponsesServer  # noqa: E402

# The flat page, its script of turns, the served pages and the spread: turn_cost.py's.
sys.path.insert(0, str(ROOT / "benchmarks"))
from turn_cost import FLAT as PAGE  # noqa: E402
from turn_cost import (  # noqa: E402
    image_bytes,
    overheads,
    pages_in_chromium,
    scripted_turns,
    spread,
)


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
    return {**spread(values), "screenshot_bytes": image_size}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 24
    with pages_in_chromium({"index.html": PAGE}) as (browser, base):
        url = base + "index.html"
        ours(browser, url, 4)  # warm-up
        result_ours = summary(ours(browser, url, count))
        result_jpeg = summary(ours(browser, url, count, "jpeg"))
        result_ref = summary(reference(browser, url, count))
    print(json.dumps({
        "pytest_cua_png": result_ours, "pytest_cua_jpeg": result_jpeg,
        "seed_reference": result_ref,
        "median_ratio": round(result_ref["median_ms"] / result_ours["median_ms"], 1),
        "mean_ratio": round(result_ref["mean_ms"] / result_ours["mean_ms"], 1),
    }, indent=2))


if __name__ == "__main__":
    main()
