"""When two lines of page evidence say the same thing: what a replay may not call a change.

A reading is compared with a recording made on another day, on another machine, perhaps
a frame into a transition. Two things differ there without the app having changed:

- **Colours** read a step apart (`rgb(3, 132, 199)` mid-transition against `rgb(2, 132,
  199)` settled). Colours are compared perceptually: CIEDE2000 (through coloraide) within
  a just-noticeable difference, alpha within one 8-bit step. A field turning red is far
  beyond that; a transition's last frame is not.
- **Dates and times** ("Dec 3, 2026, 10:14 AM", "7 minutes ago", "in 2 days", "00:05:32",
  an HTTP `date:` header, ISO stamps) differ per load and per day. They are dynamic data,
  compared by kind (`{date}`, `{time}`, `{relative time}`, `{duration}`), unless the
  step's own words name the value: a step about "the due date 2026-12-24" still fails when
  that date changes. `dates="exact"` turns this off for a test.

The comparison is pure: lines in, the lines without a partner out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from coloraide import Color

from ..settings import REPLAY_DATES

JND = 2.3  # CIEDE2000: the smallest colour difference a person notices
ALPHA_STEP = 0.01  # one 8-bit alpha step (1/255) and the two decimals CSS prints
DATES = REPLAY_DATES  # how dates and times in evidence are compared

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
          r"aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_UNIT = (r"(?:milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|"
         r"weeks?|wks?|w|months?|mos?|years?|yrs?|y)")
_NUMBER = r"(?:\d+|an?|one|two|three|a few|few|several)"
_TIME = (r"(?:\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[ap]\.?m\.?)?|\d{1,2}\s?[ap]\.?m\.?|"
         r"noon|midnight)"
         r"(?:\s?(?:utc|gmt|z|[+-]\d{2}:?\d{2}|[pmce][sd]t|cet|cest|bst|ist|jst))?")
# Most specific first: an HTTP date before a date, a date-time before a time.
_PATTERNS: list[tuple[str, str]] = [
    ("date", rf"{_WEEKDAY},?\s*\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\s+{_TIME}"),  # HTTP date
    ("date", r"\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
             r"(?:z|[+-]\d{2}:?\d{2})?)?"),  # ISO 8601
    ("date", rf"(?:{_WEEKDAY},?\s+)?{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"),
    ("date", rf"(?:{_WEEKDAY},?\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:,?\s+\d{{4}})?"),
    ("date", r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"),
    ("relative time", rf"{_NUMBER}\s?{_UNIT}\.?\s+ago"),
    ("relative time", rf"in\s+{_NUMBER}\s?{_UNIT}\b"),
    ("relative time", r"just now|yesterday|today|tomorrow|"
                      rf"(?:last|next)\s+(?:week|month|year|{_WEEKDAY})"),
    ("time", _TIME),
    ("duration", r"\d+\s?h(?:rs?)?\s?\d+\s?m(?:in)?(?:\s?\d+\s?s)?|\d+\s?m(?:in)?\s?\d+\s?s"),
    ("duration", r"\d+(?:\.\d+)?\s?(?:milliseconds?|ms|seconds?|secs?|minutes?|mins?|hours?|"
                 r"hrs?)\b"),
]
_DYNAMIC = re.compile("|".join(f"(?P<k{i}>(?<![\\w:.-])(?:{p})(?![\\w:]))"
                               for i, (_, p) in enumerate(_PATTERNS)), re.IGNORECASE)
_KINDS = {f"k{i}": kind for i, (kind, _) in enumerate(_PATTERNS)}
_COLOUR = re.compile(r"(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\([^()]*\)")


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def named_values(instruction: str) -> frozenset[str]:
    """The dates and times a step's own words name: compared by value, not by kind."""
    return frozenset(_plain(m.group(0)) for m in _DYNAMIC.finditer(instruction))


def dynamic(line: str, named: Iterable[str] = ()) -> str:
    """The line with its dates, times, relative times and durations as their kinds."""
    keep = frozenset(named)

    def kind(match: re.Match[str]) -> str:
        value = match.group(0)
        if _plain(value) in keep:
            return value
        return "{" + _KINDS[match.lastgroup or ""] + "}"

    return _DYNAMIC.sub(kind, line)


@lru_cache(maxsize=4096)
def _colour(text: str) -> Color | None:
    try:
        return Color(text)
    except ValueError:
        return None


def same_colour(a: str, b: str) -> bool:
    """Whether a person would see these CSS colours as one: CIEDE2000 within a JND, alpha
    within a step."""
    if a == b:
        return True
    first, second = _colour(a), _colour(b)
    if first is None or second is None:
        return False
    if abs(first.alpha() - second.alpha()) > ALPHA_STEP + 1e-9:
        return False
    return first.delta_e(second, method="2000") <= JND


@dataclass(frozen=True)
class Likeness:
    """How one test compares lines: its dates by kind (unless `exact`), except the values
    its step names."""

    dates: str = "kind"
    named: frozenset[str] = field(default_factory=frozenset)

    def for_step(self, instruction: str) -> Likeness:
        return Likeness(self.dates, named_values(instruction))

    def _key(self, line: str) -> tuple[str, tuple[str, ...]]:
        """The line with colours taken out (compared apart), dates as their kinds."""
        colours = tuple(_COLOUR.findall(line))
        skeleton = _COLOUR.sub("\0", line)
        if self.dates != "exact":
            skeleton = dynamic(skeleton, self.named)
        return skeleton, colours

    def same(self, a: str, b: str) -> bool:
        if a == b:
            return True
        (skeleton_a, colours_a), (skeleton_b, colours_b) = self._key(a), self._key(b)
        return skeleton_a == skeleton_b and all(
            same_colour(x, y) for x, y in zip(colours_a, colours_b, strict=True))

    def unmatched(self, left: Sequence[str], right: Sequence[str]
                  ) -> tuple[list[int], list[int], dict[int, int]]:
        """Pair the lines of two multisets that say the same thing: the indexes of the left
        and the right lines left over, and the pairs (right index -> left index)."""
        groups: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        keys_left = [self._key(line) for line in left]
        keys_right = [self._key(line) for line in right]
        for i, (skeleton, _) in enumerate(keys_left):
            groups[skeleton][0].append(i)
        for j, (skeleton, _) in enumerate(keys_right):
            groups[skeleton][1].append(j)
        pairs: dict[int, int] = {}
        for lefts, rights in groups.values():
            if not lefts or not rights:
                continue
            free = list(lefts)
            exact: dict[str, list[int]] = defaultdict(list)
            for i in free:
                exact[left[i]].append(i)
            pending = []
            for j in rights:  # the same text first, then the nearest colours
                if exact[right[j]]:
                    i = exact[right[j]].pop(0)
                    free.remove(i)
                    pairs[j] = i
                else:
                    pending.append(j)
            for j in pending:
                for i in free:
                    if all(same_colour(x, y) for x, y in
                           zip(keys_left[i][1], keys_right[j][1], strict=True)):
                        free.remove(i)
                        pairs[j] = i
                        break
        used = set(pairs.values())
        return ([i for i in range(len(left)) if i not in used],
                [j for j in range(len(right)) if j not in pairs], pairs)

    def change(self, before: Sequence[str], after: Sequence[str]) -> dict[str, list[str]]:
        """What appeared and what went away between two readings, as multisets of lines in
        the order the page shows them: a reordering, a layout shift, a colour a frame apart
        or a clock's next second alone is no change."""
        gone, new, _ = self.unmatched(before, after)
        return {"appeared": [after[j] for j in new], "disappeared": [before[i] for i in gone]}

    def missing(self, wanted: Sequence[str], found: Sequence[str]) -> tuple[list[str], list[str]]:
        """The wanted lines `found` lacks, and the found lines nobody wanted."""
        lacking, extra, _ = self.unmatched(wanted, found)
        return [wanted[i] for i in lacking], [found[j] for j in extra]

    def aligned(self, expected: Sequence[str], found: Sequence[str]) -> list[str]:
        """`found` with each line that says what an expected line says written as that
        line: a diff of the two then shows only real differences."""
        _, _, pairs = self.unmatched(expected, found)
        return [expected[pairs[j]] if j in pairs else line for j, line in enumerate(found)]



def dynamic_pattern(text: str, instruction: str = "") -> str | None:
    """A regular expression for `text` that takes any value where it holds a date, a time,
    a relative time or a duration (those the step's own words name stay as they are); None
    when it holds none, so the text is asserted as it is."""
    keep = named_values(instruction)
    parts, last = [], 0
    for match in _DYNAMIC.finditer(text):
        if _plain(match.group(0)) in keep:
            continue
        parts += [escape(text[last:match.start()]), ".+?"]
        last = match.end()
    if not parts:
        return None
    return "".join([*parts, escape(text[last:])])


def escape(text: str) -> str:
    """`re.escape` as a person writes it: spaces left as they are."""
    return re.escape(text).replace("\\ ", " ").replace("\\#", "#")
