"""Why a replay failed, in the words a person reading a CI failure would use.

A mismatch is read by someone who did not write the test, in a terminal, a JUnit message,
an index row or a chat notification. What they need first is what they would notice on the
screen: "clicking button "Remove" changed nothing: "pay rent" is still shown". The page's
evidence lines (see `js/evidence.js`) carry how each text looks, for the comparison; a
reason names elements by role and name or by their text, and says how something looks only
where that is the difference (the same text, no longer struck through).

Pure: lines in, sentences out. The first line stands alone (a summary or a status line
may show only it); each further line is one more thing that differs.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .._browser import fingerprint
from .._browser.locators import split_frames
from ..trail import ActionRecord
from .likeness import Likeness

LISTED = 4  # elements named in one sentence; the rest are counted
ALIKE = 0.6  # how alike two plain texts are to be said as one changed into the other
_LOOK = re.compile(r" \{([^{}]*)\}$")
_ADDRESS = re.compile(r"^\[address (.*)\]$")
_CONTROL = re.compile(r"^\[(checkbox|radio|input|textarea|select|password|file|field|"
                      r"email|text|search|tel|url|number) (.*?): (.*)\]$")
_STATE = re.compile(r'^\[([\w-]+) ("(?:[^"\\]|\\.)*"): (.*)\]$')
_PICTURE = re.compile(r'^\[(img|icon|canvas)( "(?:[^"\\]|\\.)*")?(?: (.*?))?\]$')
# A phrase a step's words quote: 'buy milk', "Remove", “Save”.
QUOTED = re.compile("['\"\u201c\u2018]([^'\"\u201d\u2019]+)['\"\u201d\u2019]")
_PICTURES = {"img": "image", "icon": "icon", "canvas": "canvas"}
_VERBS = {"click": "clicking", "double_click": "double-clicking",
          "triple_click": "triple-clicking", "drag": "dragging", "move": "pointing at",
          "scroll": "scrolling", "mouse_down": "pressing the mouse on",
          "mouse_up": "releasing the mouse on"}


@dataclass(frozen=True)
class Seen:
    """One evidence line as a person names it: what it is (`"pay rent"`, `checkbox
    "done"`), the state it is in, how it looks, and the frame it is in."""

    name: str
    state: str = ""
    looks: tuple[str, ...] = ()
    where: str = ""
    text: bool = False  # plain text: named by itself

    @property
    def said(self) -> str:
        """Named with its state: `checkbox "done" (checked)`."""
        return self.name + (f" ({self.state})" if self.state else "") + self.where

    def key(self) -> tuple[str, str]:
        return self.name, self.where


def seen(line: str) -> Seen:
    """An evidence line, parsed."""
    hops, rest = split_frames(line)
    where = "".join(f" in {fingerprint.frame_label(hop)}" for hop in reversed(hops))
    looks: tuple[str, ...] = ()
    if (look := _LOOK.search(rest)) is not None:
        looks, rest = tuple(look.group(1).split("; ")), rest[:look.start()]
    if (match := _ADDRESS.match(rest)) is not None:
        return Seen("the address", match.group(1), where=where)
    if (match := _CONTROL.match(rest)) is not None:
        kind, name, state = match.groups()
        named = f'{kind} "{name}"' if name else kind
        return Seen(named, _state(state), looks, where)
    if (match := _PICTURE.match(rest)) is not None:
        kind, name, detail = match.groups()
        named = _PICTURES[kind] + (name or "")
        state = "broken" if (detail or "").endswith(": broken") else ""
        return Seen(named, state, looks, where)
    if (match := _STATE.match(rest)) is not None:
        role, name, state = match.groups()
        return Seen(f"{role} {name}", state, looks, where)
    return Seen(_quote(rest), "", looks, where, text=True)


def _state(state: str) -> str:
    if state.startswith('"'):
        return "empty" if state == '""' else "holding " + state
    return state


def _quote(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def listed(items: Sequence[Seen]) -> str:
    """`"a", "b" and checkbox "c" (checked)`; past LISTED, how many more; a frame they all
    are in said once, at the end."""
    wheres = {item.where for item in items}
    once = wheres.pop() if len(wheres) == 1 else ""
    names = [item.said[:len(item.said) - len(once)] for item in items[:LISTED]]
    if len(items) > LISTED:
        names.append(f"{len(items) - LISTED} more")
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return said + once


def _verb(items: Sequence[Seen], one: str, many: str) -> str:
    return one if len(items) == 1 else many


def look_changes(then: Seen, now: Seen, likeness: Likeness
                 ) -> list[tuple[str | None, str | None]]:
    """The look tokens that differ between two readings of one element, by kind (`color`):
    (recorded, now), either None where the other has a token of that kind alone."""
    def kinds(looks: Sequence[str]) -> dict[str, str]:
        return {token.split(" ", 1)[0]: token for token in looks}

    was, is_ = kinds(then.looks), kinds(now.looks)
    out: list[tuple[str | None, str | None]] = []
    for kind in [*was, *(k for k in is_ if k not in was)]:
        before, after = was.get(kind), is_.get(kind)
        if before and after and likeness.same(before, after):
            continue
        if before != after:
            out.append((before, after))
    return out


def _looks_now(changes: list[tuple[str | None, str | None]]) -> str:
    """`no longer struck; color rgb(0, 0, 0) (recorded: rgb(136, 136, 136))`."""
    return "; ".join(f"no longer {before}" if after is None else f"now {after}"
                     if before is None else f"{after} (recorded: {before.split(' ', 1)[-1]})"
                     for before, after in changes) or "its look changed"


def _became(changes: list[tuple[str | None, str | None]]) -> str:
    """The recorded side of look changes, as what the element became then: `struck; color
    rgb(136, 136, 136)`, or `not bold` where it lost a look it has now."""
    return "; ".join(before if before else f"not {after}"
                     for before, after in changes) or "another look"


@dataclass(frozen=True)
class Phrasing:
    """How a pair of readings of one thing is said: in another state, in another look, a
    text where the recording had another."""

    state: str = "{now} is {state} (recorded: {then_state})"
    look: str = "{now} looks different: {looks_now}"
    instead: str = "{now} is shown where the recording had {then}"


DIFFERS = Phrasing()
# What was to change and did not: the recorded reading is what the page should now show.
STUCK = Phrasing(state="{now} is still {state} (when recorded, it became {then_state})",
                 look="{now} did not change its look (when recorded, it became {became})",
                 instead="{now} is still shown where the recording had {then}")

GONE = Phrasing(instead="{now} went away where the recording had {then} go away")


def _alike(a: str, b: str) -> bool:
    """Texts a reader takes for one thing changed ("1 task left", "0 tasks left")."""
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio() >= ALIKE


def _paired(missing: list[Seen], extra: list[Seen], likeness: Likeness,
            phrasing: Phrasing = DIFFERS) -> tuple[list[str], list[Seen], list[Seen]]:
    """Sentences for what changed in place (the same element in another state or look, a
    text where another was), and what is left unpaired on either side."""
    sentences: list[str] = []
    left: list[Seen] = []
    extra = list(extra)
    for then in missing:  # the same element: another state or another look
        now = next((e for e in extra if e.key() == then.key()), None)
        if now is None:
            left.append(then)
            continue
        extra.remove(now)
        named = now.name + now.where
        if now.state != then.state:
            sentences.append(phrasing.state.format(now=named, state=now.state or "shown",
                                                   then_state=then.state or "shown"))
        else:
            changes = look_changes(then, now, likeness)
            sentences.append(phrasing.look.format(now=named, looks_now=_looks_now(changes),
                                                  became=_became(changes)))
    unpaired = []
    for then in left:  # a text where the recording had another, in the same look
        now = next((e for e in extra if e.text and then.text and e.looks == then.looks
                    and e.where == then.where and (e.looks or _alike(e.name, then.name))),
                   None)
        if now is None:
            unpaired.append(then)
            continue
        extra.remove(now)
        sentences.append(phrasing.instead.format(now=now.name + now.where, then=then.name))
    return sentences, unpaired, extra


def change_reason(recorded: dict[str, list[str]], now: dict[str, list[str]],
                  shown: Sequence[str], likeness: Likeness) -> list[str]:
    """What a person notices when an act step did not make its recorded change, most
    telling first; [] when it did. `shown` is the page now."""
    appeared_missing, appeared_extra = likeness.missing(recorded.get("appeared") or [],
                                                        now.get("appeared") or [])
    gone_missing, gone_extra = likeness.missing(recorded.get("disappeared") or [],
                                                now.get("disappeared") or [])
    if not (appeared_missing or appeared_extra or gone_missing or gone_extra):
        return []
    absent, _ = likeness.missing(gone_missing, shown)
    stuck, not_appeared, still = _paired(
        [seen(x) for x in appeared_missing],
        [seen(x) for x in gone_missing if x not in absent], likeness, STUCK)
    changed, not_appeared, also = _paired(not_appeared, [seen(x) for x in appeared_extra],
                                          likeness)
    out = [*stuck]
    if not_appeared:
        out.append(f"{listed(not_appeared)} did not appear")
    if still:
        out.append(f"{listed(still)} {_verb(still, 'is', 'are')} still shown")
    out += changed
    if also:
        out.append(f"{listed(also)} appeared, which {_verb(also, 'it', 'they')} did not "
                   "when recorded")
    swapped, gone, went = _paired([seen(x) for x in absent], [seen(x) for x in gone_extra],
                                  likeness, GONE)
    out += swapped
    if went:
        out.append(f"{listed(went)} went away, which {_verb(went, 'it', 'they')} did not "
                   "when recorded")
    if gone:
        out.append(f"{listed(gone)} {_verb(gone, 'was', 'were')} expected to go away but "
                   "not on the page to begin with")
    return out


def evidence_reason(expected: Sequence[str], found: Sequence[str],
                    likeness: Likeness) -> list[str]:
    """What a person notices when the page a check or an answer was judged on differs
    from the recorded one; [] when it says the same."""
    missing, extra = likeness.missing(expected, found)
    if not (missing or extra):
        return []
    changed, gone, new = _paired([seen(x) for x in missing], [seen(x) for x in extra],
                                 likeness)
    out = list(changed)
    if gone:
        out.append(f"{listed(gone)} {_verb(gone, 'is', 'are')} no longer shown")
    if new:
        out.append(f"{listed(new)} {_verb(new, 'is', 'are')} shown, which "
                   f"{_verb(new, 'was', 'were')} not when recorded")
    return out


def doing(record: ActionRecord | None) -> str:
    """An action as the start of a sentence: `clicking button "Remove"`."""
    if record is None:
        return "the step"
    kind = str(record.action.get("type"))
    target = record.target if kind in (*fingerprint.POINT_ACTIONS,
                                       *fingerprint.FOCUS_ACTIONS) else None
    label = fingerprint.label(target) if target else ""
    if not label or label.startswith("the page itself"):
        return record.description
    if kind == "type":
        return f"typing {record.action.get('text')!r} into {label}"
    if kind in ("keypress", "hold_key"):
        keys = "+".join(str(k) for k in record.action.get("keys") or [])
        return f"pressing {keys} in {label}"
    return f"{_VERBS.get(kind, kind)} {label}"


def joined(lead: str, sentences: Sequence[str], instruction: str = "") -> str:
    """The reason: the lead and the first sentence on one line, the rest below it. What
    the step's own words quote ('buy milk') is what its reader looks for: said first."""
    quoted = [q.lower() for q in QUOTED.findall(instruction)]
    first, *rest = sorted(sentences, key=lambda s: not any(q in s.lower() for q in quoted))
    return "\n".join([f"{lead}: {first}", *(f"  {s}" for s in rest)])
