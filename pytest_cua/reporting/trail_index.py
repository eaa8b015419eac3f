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

from ..files import write_atomic

INDEX_HTML, INDEX_JSON = "index.html", "index.json"
# Model turns are requests the run paid for; replayed turns came from cassettes, for free.
NUMBERS = ("steps", "model_turns", "replayed_turns", "input_tokens", "output_tokens",
           "cached_tokens")
_PROPERTY = {"steps": "cua_steps", "model_turns": "cua_turns",
             "replayed_turns": "cua_replayed_turns", "input_tokens": "cua_input_tokens",
             "output_tokens": "cua_output_tokens", "cached_tokens": "cua_cached_tokens"}


def entry(test: str, outcome: str, trail: str, properties: Mapping[str, Any]) -> dict:
    """One row, from a test report's `cua_*` properties; `trail` is relative to the index."""
    row: dict[str, Any] = {"test": test, "outcome": outcome, "trail": trail,
                           "model": str(properties.get("cua_model", ""))}
    for name, prop in _PROPERTY.items():
        row[name] = int(properties.get(prop, 0) or 0)
    return row


def totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    rows = list(rows)
    summed = {name: sum(int(r.get(name, 0)) for r in rows) for name in NUMBERS}
    return {"tests": len(rows), **summed}


def say_totals(summed: Mapping[str, int]) -> str:
    """The one-line summary the terminal and the shard merge print."""
    return (f"{summed['tests']} tests with CUA steps: {summed['steps']} steps, "
            f"{summed['model_turns']} model turns, {summed['replayed_turns']} replayed turns, "
            f"{summed['input_tokens']} input / {summed['output_tokens']} output tokens")


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


def write(folder: Path, rows: list[dict], title: str = "pytest-cua trails") -> Path:
    """Write index.json and index.html; the HTML's path."""
    rows = sorted(rows, key=lambda r: (r["test"], r["trail"]))
    summed = totals(rows)
    write_atomic(folder / INDEX_JSON,
                 json.dumps({"totals": summed, "trails": rows}, indent=1))
    path = folder / INDEX_HTML
    write_atomic(path, render(rows, summed, title))
    return path


def render(rows: list[dict], summed: Mapping[str, int], title: str) -> str:
    def cell(value: Any) -> str:
        return f"<td>{html.escape(str(value))}</td>"

    body = "".join(
        f'<tr class="{html.escape(r["outcome"])}"><td><a href="{html.escape(r["trail"])}">'
        f'{html.escape(r["test"])}</a></td>{cell(r["outcome"])}'
        + "".join(cell(r[name]) for name in NUMBERS) + cell(r["model"]) + "</tr>"
        for r in rows)
    heads = "".join(f"<th>{name.replace('_', ' ')}</th>" for name in NUMBERS)
    foot = "".join(cell(summed[name]) for name in NUMBERS)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font:14px sans-serif;margin:20px} table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
        "tr.failed td:nth-child(2),tr.error td:nth-child(2){color:#b00;font-weight:bold}"
        "tr.passed td:nth-child(2){color:#070} tfoot td{font-weight:bold}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{summed['tests']} trails, {summed['model_turns']} "
        f"model turns, {summed['replayed_turns']} replayed turns, {summed['input_tokens']} "
        f"input / {summed['output_tokens']} output tokens</p>"
        f"<table><thead><tr><th>test</th><th>outcome</th>{heads}<th>model</th></tr></thead>"
        f"<tbody>{body}</tbody><tfoot><tr><td>total ({summed['tests']})</td><td></td>{foot}"
        "<td></td></tr></tfoot></table></body></html>")
