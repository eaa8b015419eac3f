"""The index of a trail folder: one row per test trail, with the run's totals.

A run with `--cua-trail-dir` writes `index.html` (to read) and `index.json` (to merge)
next to its trails. Shards of one suite each write their own; `python -m pytest_cua.merge
trails` copies their trails into one folder and writes one index over all of them, with
turns and tokens summed, so a sharded CI run has one page to open.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._browser import scripts
from .._core.pricing import dollars
from .._run.store import write_atomic

INDEX_HTML, INDEX_JSON = "index.html", "index.json"
# Model turns are requests the run paid for; replayed turns came from cassettes, for free.
NUMBERS = ("steps", "model_turns", "replayed_turns", "input_tokens", "output_tokens",
           "cached_tokens")
_PROPERTY = {"steps": "cua_steps", "model_turns": "cua_turns",
             "replayed_turns": "cua_replayed_turns", "input_tokens": "cua_input_tokens",
             "output_tokens": "cua_output_tokens", "cached_tokens": "cua_cached_tokens"}


def entry(test: str, outcome: str, trail: str, properties: Mapping[str, Any],
          details: Mapping[str, Any] | None = None) -> dict:
    """One row, from a test report's `cua_*` properties and the details its trail gave
    (`anchor` of the failing turn, failure `reason`, `seconds`); `trail` is relative to
    the index."""
    row: dict[str, Any] = {"test": test, "outcome": outcome, "trail": trail,
                           "model": str(properties.get("cua_model", ""))}
    for name, prop in _PROPERTY.items():
        row[name] = int(properties.get(prop, 0) or 0)
    row["cost_usd"] = cost_of(properties.get("cua_cost_usd"))
    for source in ("replayed", "healed"):  # steps, as the cassette counts them
        row[f"{source}_steps"] = int(properties.get(f"cua_{source}", 0) or 0)
    details = details or {}
    row["anchor"] = str(details.get("anchor", ""))
    row["reason"] = str(details.get("reason", ""))
    row["seconds"] = round(float(details.get("seconds", 0.0) or 0.0), 2)
    return row


def cost_of(value: Any) -> float | None:
    """A `cua_cost_usd` property as a number; None for "unknown" (the model's price)."""
    try:
        return float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return None


def totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Summed numbers; the cost of the tests whose price is known, and how many are not."""
    rows = list(rows)
    summed: dict[str, Any] = {name: sum(int(r.get(name, 0)) for r in rows) for name in NUMBERS}
    costs = [r.get("cost_usd", 0.0) for r in rows]
    summed["cost_usd"] = round(sum(c for c in costs if c is not None), 6)
    summed["cost_unknown"] = sum(1 for c in costs if c is None)
    return {"tests": len(rows), **summed}


def say_cost(summed: Mapping[str, Any]) -> str:
    """The run's cost in words: unknown prices are said, never counted as free."""
    unknown = int(summed.get("cost_unknown", 0))
    known = dollars(float(summed.get("cost_usd", 0.0)))
    if unknown and unknown == summed.get("tests"):
        return "cost unknown (no price for the model; set one with --cua-price)"
    return f"cost {known}" + (f" + {unknown} tests at unknown prices" if unknown else "")


def say_totals(summed: Mapping[str, Any]) -> str:
    """The one-line summary the terminal and the shard merge print."""
    return (f"{summed['tests']} tests with CUA steps: {summed['steps']} steps, "
            f"{summed['model_turns']} model turns, {summed['replayed_turns']} replayed turns, "
            f"{summed['input_tokens']} input / {summed['output_tokens']} output tokens, "
            f"{say_cost(summed)}")


def read(folder: Path) -> list[dict]:
    """The rows of a folder's index; a clear error when the folder has none."""
    path = folder / INDEX_JSON
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: is {folder} a folder written by "
                                "a run with --cua-trail-dir?")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data["trails"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a pytest-cua trail index ({exc})") from None


FAILING = ("failed", "error")


def outcomes_line(rows: list[dict]) -> str:
    """`1 failed, 2 passed`: the run's verdict, failures first."""
    counts = {name: sum(1 for r in rows if r["outcome"] == name)
              for name in ("failed", "error", "passed", "skipped")}
    words = {"error": "errors"}
    return ", ".join(f"{n} {words.get(name, name) if n != 1 else name}"
                     for name, n in counts.items() if n) or "no tests"


def write(folder: Path, rows: list[dict], title: str = "pytest-cua trails") -> Path:
    """Write index.json and index.html; the HTML's path."""
    # Failures first, as in the other views: what a reader opens the index for.
    rows = sorted(rows, key=lambda r: (r["outcome"] not in FAILING, r["test"], r["trail"]))
    summed = totals(rows)
    write_atomic(folder / INDEX_JSON,
                 json.dumps({"totals": summed, "trails": rows}, indent=1))
    path = folder / INDEX_HTML
    write_atomic(path, render(rows, summed, title))
    return path


def render(rows: list[dict], summed: Mapping[str, int], title: str) -> str:
    """The index page: every trail with its outcome, failure reason and numbers; filters
    by outcome and source, a search box and sortable columns (assets/index.js)."""
    def cell(value: Any, sort: Any = None) -> str:
        key = f' data-sort="{html.escape(str(sort))}"' if sort is not None else ""
        return f"<td{key}>{html.escape(str(value))}</td>"

    body = []
    for r in rows:
        outcome = html.escape(r["outcome"])
        replayed, healed = r.get("replayed_steps", 0), r.get("healed_steps", 0)
        tags = "".join(f'<span class="tag {name}">{name} {count}</span>'
                       for name, count in (("replayed", replayed), ("healed", healed)) if count)
        link = html.escape(r["trail"] + r.get("anchor", ""))
        name = html.escape(r["test"])
        body.append(
            f'<tr class="{outcome}" data-outcome="{outcome}" data-replayed="{replayed}" '
            f'data-healed="{healed}"><td data-sort="{name}"><a href="{link}">{name}</a>{tags}'
            f'<div class="reason">{html.escape(r.get("reason", ""))}</div></td>'
            + cell(r["outcome"], r["outcome"])
            + cell(f'{r.get("seconds", 0):.2f}s', r.get("seconds", 0))
            + "".join(cell(r[n], r[n]) for n in NUMBERS)
            + cell(dollars(r.get("cost_usd", 0.0)), r.get("cost_usd") if r.get("cost_usd")
                   is not None else -1)
            + cell(r["model"], r["model"])
            + "</tr>")
    heads = "".join(f'<th data-kind="number">{name.replace("_", " ")}</th>'
                    for name in (*NUMBERS, "cost"))
    foot = "".join(cell(summed[name]) for name in NUMBERS) + cell(say_cost(summed))
    filters = "".join(
        f'<label><input type="checkbox" name="{name}" checked> {name}</label>'
        for name in ("passed", "failed", "error", "skipped"))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{scripts.asset('index.css')}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='verdict'>{outcomes_line(rows)}</p>"
        f"<p>{summed['tests']} trails, {summed['model_turns']} "
        f"model turns, {summed['replayed_turns']} replayed turns, {summed['input_tokens']} "
        f"input / {summed['output_tokens']} output tokens, {html.escape(say_cost(summed))}</p>"
        f'<div class="controls">{filters}<label><input type="checkbox" name="only-replayed"> '
        'only with replayed steps</label><label><input type="checkbox" name="only-healed"> '
        'only with healed steps</label><input type="search" id="search" placeholder='
        '"search tests, reasons, models"> <span id="shown"></span></div>'
        '<table id="trails"><thead><tr><th data-kind="text">test</th><th data-kind="text">'
        f'outcome</th><th data-kind="number">duration</th>{heads}<th data-kind="text">model'
        f"</th></tr></thead><tbody>{''.join(body)}</tbody><tfoot><tr><td>total "
        f"({summed['tests']})</td><td></td><td></td>{foot}<td></td></tr></tfoot></table>"
        f"<script>{scripts.asset('index.js')}</script></body></html>")
