"""The scripts and styles shipped with the package: the page-side scripts
(`pytest_cua/_browser/js/*.js`) and the report viewer's (`pytest_cua/_reporting/assets/`).

They are JavaScript and CSS, so they live in files an editor and a linter can read; Python
only joins the page-side ones into the function bodies it hands to `evaluate`, and puts
the viewer's into the reports it writes.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str, folder: str = "_browser/js") -> str:
    """The text of `<folder>/<name>` in the package, read once."""
    path = resources.files("pytest_cua")
    for part in (*folder.split("/"), name):  # one part at a time: Python 3.10's joinpath
        path = path / part
    return path.read_text(encoding="utf-8")


def asset(name: str) -> str:
    """A file of the report viewer (`_reporting/assets/<name>`)."""
    return load(name, "_reporting/assets")
