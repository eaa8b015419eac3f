"""Files a step may upload, and what happens when the page opens a file chooser.

A computer-use model cannot browse a file system, and must not: a test offers the files a
step may upload (`cua_agent(step, files=[...])` or the `cua_files` fixture) and only those
are ever handed to the browser. When an action opens a file chooser the executor decides
here, without I/O: one offered file is chosen, several are named to the model (which
answers by typing a name), none closes the chooser with a word to the model, so a step
never hangs on a dialog nobody can see. Names and sizes go to the model and the trail,
never the contents.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"  # pragma: no cover


def describe(name: str, size: int) -> str:
    """`report.pdf (12.3 KB)`: how a file is shown to the model and in reports."""
    return f"{name} ({_size(size)})"


@dataclass(frozen=True)
class OfferedFiles:
    """The files a step may upload, by name (what the model sees) and path (what is read)."""

    paths: tuple[Path, ...] = ()

    @classmethod
    def of(cls, paths: Iterable[str | os.PathLike[str]] | None) -> OfferedFiles:
        """Check the offer when the step starts: a missing file is the test's mistake."""
        checked: list[Path] = []
        for raw in paths or ():
            path = Path(raw).expanduser().resolve()
            if not path.is_file():
                raise ValueError(f"files=[...]: {raw!s} is not a readable file; offer paths to "
                                 "existing files (e.g. from tmp_path or your test data)")
            if path.name in {p.name for p in checked}:
                raise ValueError(f"files=[...]: two offered files are named {path.name!r}; the "
                                 "model chooses by name, so give them different names")
            checked.append(path)
        return cls(tuple(checked))

    def __bool__(self) -> bool:
        return bool(self.paths)

    def listing(self) -> str:
        return ", ".join(describe(p.name, p.stat().st_size) for p in self.paths)

    def named(self, text: str, multiple: bool) -> list[Path] | None:
        """The offered files a typed answer names (comma-separated when the field takes
        several), or None when it names none of them."""
        wanted = [w.strip().strip("'\"") for w in text.split(",")] if multiple else [
            text.strip().strip("'\"")]
        by_name = {p.name.lower(): p for p in self.paths}
        chosen = [by_name.get(w.lower()) for w in wanted if w]
        if not chosen or None in chosen:
            return None
        return [p for p in chosen if p is not None]


@dataclass
class Choice:
    """What to do with a file chooser now: set these files (None: wait for the model's
    answer), and what to tell the model."""

    files: list[Path] | None
    note: str


def on_open(offered: OfferedFiles, multiple: bool) -> Choice:
    """A file chooser just opened."""
    if not offered:
        return Choice([], "a file chooser opened, but no file is offered to this step, so it "
                          "was closed without a file; if the step needs a file, it cannot be "
                          "done: say so in your verdict")
    if len(offered.paths) == 1:
        path = offered.paths[0]
        return Choice([path], "a file chooser opened and the offered file "
                              f"{describe(path.name, path.stat().st_size)} was chosen")
    how = ("type the file name to choose (several names separated by commas, the field "
           "takes several)" if multiple else "type the file name to choose")
    return Choice(None, f"a file chooser is open; the files offered are {offered.listing()}: "
                        f"{how}; any other action closes it without a file")


def on_answer(offered: OfferedFiles, multiple: bool, typed: str | None) -> Choice:
    """The model's next action after several files were offered: `typed` is the text of a
    `type` action, or None for any other action."""
    chosen = offered.named(typed, multiple) if typed is not None else None
    if chosen is None:
        what = f"{typed!r} names none of the offered files" if typed is not None else \
            "another action came first"
        return Choice([], f"the file chooser was closed without a file: {what}")
    names = ", ".join(describe(p.name, p.stat().st_size) for p in chosen)
    return Choice(chosen, f"chosen in the file chooser: {names}")
