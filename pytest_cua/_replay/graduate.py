"""What an exported test asserts for each step (`--cua-export`), read while the step ran.

Verified replay knows what every step did: the lines an act step made appear and go away,
the lines a check or an answer was judged on. An export turns those lines into Playwright
assertions, so here, while the page still shows them, each chosen line is tied to the
element it came from and named by Playwright's locator generator (`_browser.locators`),
with the CSS that makes its look true. Content the page changes by itself is never chosen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .._browser import frames
from .._browser.locators import split_frames
from .._core import drive
from .likeness import Likeness
from .oracle import ADDRESS, volatile_of
from .reasons import QUOTED

LIMIT = 8  # lines asserted per step: what a reviewer reads, not the whole page
_LOOK = re.compile(r" \{([^{}]*)\}$")
_TOKENS = {"struck": "struck", "underlined": "underlined", "overlined": "overlined",
           "bold": "bold", "italic": "italic", "color": "color", "background": "background"}
_STOP = frozenset({"the", "and", "that", "this", "with", "from", "are", "was", "were", "has",
                   "have", "not", "its", "for", "into", "page", "shown", "shows", "show",
                   "should"})


def split_look(line: str) -> tuple[str, list[str]]:
    """A line's text and the look tokens an assertion can prove (`struck`, `color`, ...)."""
    match = _LOOK.search(line)
    if not match:
        return line, []
    tokens = []
    for part in match.group(1).split("; "):
        word = part.split(" ", 1)[0]
        if word in _TOKENS and not (word == "background" and "image" in part):
            tokens.append(_TOKENS[word])
    return line[:match.start()], tokens


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in _STOP}


def relevant(instruction: str, lines: Sequence[str], paths: Sequence[str]
             ) -> list[tuple[str, str]]:
    """The lines a check's words are about: those holding a quoted phrase of it, else those
    sharing most of its words."""
    quoted = [q.lower() for q in QUOTED.findall(instruction)]
    pairs = [(line, path) for line, path in zip(lines, paths, strict=True)
             if path != "address"]
    if quoted:
        hits = [(line, path) for line, path in pairs
                if any(q in split_look(split_frames(line)[1])[0].lower() for q in quoted)]
        if hits:
            return hits[:LIMIT]
    words = _words(instruction)
    scored = sorted(((len(words & _words(split_look(line)[0])), n)
                     for n, (line, _) in enumerate(pairs)), reverse=True)
    best = scored[0][0] if scored else 0
    return [pairs[n] for score, n in sorted(scored, key=lambda s: s[1])
            if best and score == best][:LIMIT]


def chosen(step: Any, likeness: Likeness) -> list[dict[str, str]]:
    """The lines to assert for a passed step: {role, line, path}; role is `appeared`, `gone`
    (no longer anywhere on the page), `evidence` (a check) or `answer` (an ask)."""
    before, after = step.readings or (None, None)
    if after is None:
        return []
    volatile = list(volatile_of((before, after)))
    lines, paths = after.shown_at(volatile)
    likeness = likeness.for_step(step.instruction)
    if step.kind == "act":
        was, was_at = before.shown_at(volatile) if before is not None else ([], [])
        gone, new, _ = likeness.unmatched(was, lines)
        picks = [{"role": "appeared", "line": lines[j], "path": paths[j]} for j in new]
        still = {split_look(line)[0] for line in lines}
        # What went away from an element that now shows something else is proven by what
        # appeared there ("1 errand left" for "0 errands left"): asserted once.
        renewed = {paths[j] for j in new}
        picks += [{"role": "gone", "line": was[i], "path": ""} for i in gone
                  if split_look(was[i])[0] not in still and not was[i].startswith("[")
                  and was_at[i] not in renewed]
        return picks[:LIMIT]
    if step.kind == "ask":
        answer = (step.answer or "").strip().lower()
        found = [(line, path) for line, path in zip(lines, paths, strict=True)
                 if answer and path != "address"
                 and answer in split_look(split_frames(line)[1])[0].lower()]
        found.sort(key=lambda pair: len(pair[0]))
        return [{"role": "answer", "line": line, "path": path} for line, path in found[:1]]
    found = relevant(step.instruction, lines, paths)
    role = "evidence" if found else "evidence-all"
    found = found or [(line, path) for line, path in zip(lines, paths, strict=True)
                      if path != "address"][:5]
    return [{"role": role, "line": line, "path": path} for line, path in found]


def capture(computer: Any, step: Any, likeness: Likeness) -> drive.Probe[None]:
    """Name the chosen lines' elements while the page shows them: `step.exported`."""
    picks = chosen(step, likeness)
    located = [p for p in picks if p["path"] and p["path"] != "address"]
    try:
        found = yield from frames.line_locators(
            computer.page.main_frame, [(p["path"], split_look(p["line"])[1]) for p in located])
    except Exception as exc:  # the export loses an assertion, the step is not failed
        step.notes.append(f"export: the elements of this step's lines were not found ({exc})")
        found = [None] * len(located)
    for pick, where in zip(located, found, strict=True):
        pick.update(where or {"missing": True})
    title = yield (lambda: computer.page.title())
    step.exported = {"asserts": picks, "url": computer.page.url,
                     "title": title if isinstance(title, str) else ""}


def address_line(line: str) -> str | None:
    """The address an `[address ...]` line names, else None."""
    prefix, suffix = ADDRESS.split("{}")
    if line.startswith(prefix) and line.endswith(suffix):
        return line[len(prefix):len(line) - len(suffix)]
    return None
