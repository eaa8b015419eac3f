"""A Markdown summary of the run for the CI page (GitHub Actions' job summary and alike).

Failures first, each with its reason and a link to its trail at the failing turn, then
the totals and a collapsed list of everything else. Appended, never overwritten: GitHub
gives every step of a job the same `$GITHUB_STEP_SUMMARY` file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from . import trail_index

FAILED = ("failed", "error")


def _cell(text: str) -> str:
    """A table cell: the test's name or the whole reason, its lines kept as breaks."""
    lines = (" ".join(line.split()) for line in str(text).splitlines())
    return "<br>".join(line for line in lines if line).replace("|", "\\|")


def _link(row: dict, trail_url: str | None) -> str:
    if not row["trail"]:
        return ""
    target = row["trail"] + row.get("anchor", "")
    if trail_url:
        return f"[trail]({trail_url.rstrip('/')}/{target})"
    return f"`{target}`"


def render(rows: Sequence[dict], trail_url: str | None = None) -> str:
    totals = trail_index.totals(rows)
    counts = {o: sum(1 for r in rows if r["outcome"] == o) for o in ("failed", "error",
                                                                     "passed", "skipped")}
    said = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
    lines = [f"## pytest-cua: {said}", "",
             trail_index.say_totals({**totals, "tests": len(rows)}) + ".", ""]
    failures = [r for r in rows if r["outcome"] in FAILED]
    if failures:
        lines += ["| failed test | outcome | reason | trail |", "|---|---|---|---|"]
        lines += [f"| `{_cell(r['test'])}` | {r['outcome']} | {_cell(r['reason'])} | "
                  f"{_link(r, trail_url)} |" for r in failures]
        lines.append("")
    others = [r for r in rows if r["outcome"] not in FAILED]
    if others:
        lines += [f"<details><summary>{len(others)} other tests</summary>", "",
                  "| test | outcome | model turns | replayed turns | trail |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{_cell(r['test'])}` | {r['outcome']} | {r['model_turns']} | "
                  f"{r['replayed_turns']} | {_link(r, trail_url)} |" for r in others]
        lines += ["", "</details>", ""]
    return "\n".join(lines)


def append_to(path: Path, rows: Sequence[dict], trail_url: str | None = None) -> None:
    """Append the summary (failures first) to `path`, creating it and its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    failures_first = sorted(rows, key=lambda r: (r["outcome"] not in FAILED, r["test"]))
    with path.open("a", encoding="utf-8") as out:
        out.write(render(failures_first, trail_url) + "\n")
